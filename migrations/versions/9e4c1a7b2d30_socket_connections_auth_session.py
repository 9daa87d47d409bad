"""socket connections belong to the sign-in session that opened them

Revision ID: 9e4c1a7b2d30
Revises: d24eb3005121
Create Date: 2026-12-03 12:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9e4c1a7b2d30'
down_revision = 'd24eb3005121'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('socket_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auth_session_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_socket_connections_auth_session_id'), ['auth_session_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_socket_connections_auth_session_id_auth_sessions'), 'auth_sessions', ['auth_session_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('socket_connections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_socket_connections_auth_session_id_auth_sessions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_socket_connections_auth_session_id'))
        batch_op.drop_column('auth_session_id')
