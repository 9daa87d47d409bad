"""rounds: a closing time, its reminder, and whether the deadline closed the round

Revision ID: 7d2f4b9e1c63
Revises: 6b2d0f8e4c31
Create Date: 2026-12-07 17:00:00.000000

A moderator may open a round until a given time; the worker reminds those yet to vote once
before it and closes the round at it. Rounds already there have no deadline.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d2f4b9e1c63'
down_revision = '6b2d0f8e4c31'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                'closed_at_deadline', sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('closed_at_deadline')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('closes_at')
