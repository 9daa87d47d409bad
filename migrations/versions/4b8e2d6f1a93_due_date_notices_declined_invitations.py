"""due-date notices and declined invitations

Revision ID: 4b8e2d6f1a93
Revises: 7c3e1a9d5f42
Create Date: 2026-12-08 00:40:00.000000

The daily job tells an owner once per due date that it is near and once that it has passed:
activities gain `overdue_due_on` (they already had `reminder_due_on`), action items gain both.
An invitee signed in as the invited address may decline from the dashboard: `declined_at`.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b8e2d6f1a93'
down_revision = '7c3e1a9d5f42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overdue_due_on', sa.Date(), nullable=True))

    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('overdue_due_on', sa.Date(), nullable=True))

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('declined_at')

    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_column('overdue_due_on')
        batch_op.drop_column('reminder_due_on')

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('overdue_due_on')
