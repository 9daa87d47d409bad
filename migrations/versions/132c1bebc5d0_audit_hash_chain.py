"""audit events form hash chains, one per team, with their heads in audit_chains

Revision ID: 132c1bebc5d0
Revises: 9e4c1a7b2d30
Create Date: 2026-12-04 10:00:00.000000

The events already stored are chained here in id order, with the same canonical hash the app
computes (the audit package's chain module; a migration never imports the app, so the
function is repeated below and must stay identical).
"""
import hashlib
import json
from datetime import timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '132c1bebc5d0'
down_revision = '9e4c1a7b2d30'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
HASHED = ("occurred_at", "action", "actor_email", "team_id", "target_type", "target_id",
          "details", "ip_address", "channel")


def event_hash(event, prev_hash):
    content = {name: event.get(name) for name in HASHED}
    occurred_at = event["occurred_at"]
    if occurred_at.tzinfo is None:  # SQLite stores UTC without a zone
        occurred_at = occurred_at.replace(tzinfo=timezone.utc)
    content["occurred_at"] = occurred_at.astimezone(timezone.utc).isoformat(timespec="microseconds")
    content["details"] = event.get("details") or {}
    content["prev_hash"] = prev_hash
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=False, server_default=''))
    chains = op.create_table('audit_chains',
    sa.Column('chain', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_chains'))
    )
    events = sa.table(
        'audit_events',
        *(sa.column(name) for name in ('id', 'action', 'actor_email', 'team_id', 'target_type',
                                       'target_id', 'ip_address', 'channel', 'prev_hash', 'hash')),
        sa.column('occurred_at', sa.DateTime(timezone=True)),
        sa.column('details', sa.JSON()),
    )
    connection = op.get_bind()
    heads = {}
    updates = []
    for row in connection.execute(sa.select(events).order_by(events.c.id)).mappings():
        chain = row['team_id'] or 0
        length, prev = heads.get(chain, (0, GENESIS))
        digest = event_hash(row, prev)
        updates.append({'event_id': row['id'], 'prev': prev, 'digest': digest})
        heads[chain] = (length + 1, digest)
    if updates:
        connection.execute(
            events.update().where(events.c.id == sa.bindparam('event_id'))
            .values(prev_hash=sa.bindparam('prev'), hash=sa.bindparam('digest')),
            updates,
        )
    if heads:
        op.bulk_insert(chains, [{'chain': c, 'length': n, 'head_hash': h} for c, (n, h) in heads.items()])


def downgrade():
    op.drop_table('audit_chains')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
