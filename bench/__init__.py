"""`make bench`: the live voting path's latency against a bare python-socketio reference.

See docs/performance.md; `python -m bench` runs it.
"""
