"""connection rows: the worker holding each one and its heartbeat

Revision ID: b7c41e2d9f60
Revises: a530fd960a13
Create Date: 2026-12-04 19:20:00.000000

Rows already there are taken as seen when they connected: a worker that still holds one marks
it seen at its next heartbeat, and the rest expire.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c41e2d9f60'
down_revision = 'a530fd960a13'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('socket_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('worker', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
    connections = sa.table(
        'socket_connections',
        sa.column('connected_at', sa.DateTime(timezone=True)),
        sa.column('last_seen_at', sa.DateTime(timezone=True)),
    )
    op.execute(connections.update().values(last_seen_at=connections.c.connected_at))
    with op.batch_alter_table('socket_connections', schema=None) as batch_op:
        batch_op.alter_column(
            'last_seen_at', existing_type=sa.DateTime(timezone=True), nullable=False
        )


def downgrade():
    with op.batch_alter_table('socket_connections', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('worker')
