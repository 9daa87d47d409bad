"""socket connections

Revision ID: 5bbc18a33e72
Revises: 16c3ca910b33
Create Date: 2026-11-28 21:19:14.953274

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5bbc18a33e72'
down_revision = '16c3ca910b33'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('socket_connections',
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('namespace', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('connected_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_socket_connections_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_socket_connections_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_socket_connections'))
    )
    with op.batch_alter_table('socket_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_socket_connections_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('socket_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_socket_connections_user_id'))

    op.drop_table('socket_connections')
