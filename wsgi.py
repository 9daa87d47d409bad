"""Entry point: `flask --app wsgi ...` for the CLI, `python wsgi.py` for the gevent server.

A WSGI server that imports `wsgi:app` (gunicorn with a gevent worker, say) patches the standard
library itself; when this file is run directly it does the patching, which must happen before
anything else imports the socket, ssl or threading modules.
"""

if __name__ == "__main__":
    from gevent import monkey

    monkey.patch_all()

from teamwork import create_app  # noqa: E402

app = create_app()

if __name__ == "__main__":
    from teamwork.serve import serve

    serve(app)
