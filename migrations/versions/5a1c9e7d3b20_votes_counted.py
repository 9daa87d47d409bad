"""votes: whether a vote counted when its round closed

Revision ID: 5a1c9e7d3b20
Revises: 4884702d7a24
Create Date: 2026-12-07 16:40:00.000000

A member who voted and was then recorded absent is not counted when the round closes; the
closed round's lists (who voted, the tally, the rounds history) leave that vote out. Votes
already there are taken as counted, as they were.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1c9e7d3b20'
down_revision = '4884702d7a24'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('counted', sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_column('counted')
