"""teams: the time zone the team's pages show times in

Revision ID: c3e8a1f07b25
Revises: b7c41e2d9f60
Create Date: 2026-12-07 01:40:00.000000

Existing teams get "" (the deployment's zone, TEAMWORK_DEFAULT_TIMEZONE), which is what they
showed before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3e8a1f07b25'
down_revision = 'b7c41e2d9f60'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_column('timezone')
