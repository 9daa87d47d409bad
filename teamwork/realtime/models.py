"""The open Socket.IO connections, kept in the database (not in process memory) so that any
worker can find and close the connections of a user whose access, or sign-in, just ended.

The worker holding a connection marks its row seen every TEAMWORK_SOCKET_HEARTBEAT_SECONDS;
a row not seen for TEAMWORK_SOCKET_EXPIRY_SECONDS belonged to a worker that died, and any
worker deletes it (`realtime.services.refresh_connections`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from teamwork.database import UTCDateTime, utcnow
from teamwork.extensions import db


class SocketConnection(db.Model):
    __tablename__ = "socket_connections"

    # Socket.IO session id (python-engineio's are 20 characters).
    sid: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    namespace: Mapped[str] = mapped_column(sa.String(64), default="/")
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The team whose live screen this connection follows.
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"))
    # The sign-in session that authenticated the handshake: ending it closes the connection.
    # Null only for connections recorded before sessions were bound to them.
    auth_session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The worker holding the connection (TEAMWORK_WORKER_NAME), and when it last said so.
    worker: Mapped[str | None] = mapped_column(sa.String(255))
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
