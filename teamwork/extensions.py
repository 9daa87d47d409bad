"""Flask extensions, created unbound here and bound to an app in `create_app`.

Modules import these objects; nothing here knows about a particular app or its settings.
"""

from typing import Any

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from teamwork.database import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# No default limits: only the routes that need throttling (sign-in) declare limits.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
socketio = SocketIO()


def core(statement: Any, params: dict[str, Any] | None = None) -> Any:
    """Run a column-only statement on the session's connection, in its transaction, skipping
    the ORM's per-statement work. For the few statements run with every vote, where that work
    cost more than the database did (docs/performance.md); everything else uses db.session."""
    return db.session.connection().execute(statement, params)
