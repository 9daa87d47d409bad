"""action items: when their owner marked them done

Revision ID: c3d9a1f0b2e4
Revises: c3e8a1f07b25
Create Date: 2026-12-07 01:50:00.000000

An action item is on its owner's "My deliverables" until they mark it done. Items already there
are taken as not done.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d9a1f0b2e4'
down_revision = 'c3e8a1f07b25'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('done_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_column('done_at')
