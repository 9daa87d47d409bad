"""account recovery: password resets, recovery codes, two-step secrets encrypted at rest

Revision ID: a530fd960a13
Revises: d636f8a55076
Create Date: 2026-12-04 15:40:00.000000

Existing two-step secrets (plaintext base32) are encrypted here with the first key of the
deployment's encryption keys, as the app's config has them (the environment variable, or the key
generated once into the instance folder); downgrading decrypts them again.
"""
from alembic import op
import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app


# revision identifiers, used by Alembic.
revision = 'a530fd960a13'
down_revision = 'd636f8a55076'
branch_labels = None
depends_on = None

users = sa.table('users', sa.column('id', sa.Integer), sa.column('totp_secret', sa.String))


def _fernet():
    keys = current_app.config['TEAMWORK_SECRET_ENCRYPTION_KEYS']
    return MultiFernet([Fernet(key) for key in keys])


def _rewrite_secrets(change):
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None))
    ).all()
    for user_id, secret in rows:
        new = change(secret)
        if new != secret:
            connection.execute(
                users.update().where(users.c.id == user_id).values(totp_secret=new)
            )


def upgrade():
    op.create_table('password_resets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_resets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_resets_token_hash'))
    )
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_resets_user_id'), ['user_id'], unique=False)

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)

    # A Fernet token of a 32-character secret is about 140 characters.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=255), existing_nullable=True)

    fernet = _fernet()

    def encrypt(secret):
        try:
            fernet.decrypt(secret.encode())  # already encrypted (a re-run): leave it
            return secret
        except Exception:  # noqa: BLE001 - InvalidToken: plaintext
            return fernet.encrypt(secret.encode()).decode()

    _rewrite_secrets(encrypt)


def downgrade():
    fernet = _fernet()
    _rewrite_secrets(lambda token: fernet.decrypt(token.encode()).decode())
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=255), type_=sa.String(length=64), existing_nullable=True)

    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))
    op.drop_table('recovery_codes')
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_resets_user_id'))
    op.drop_table('password_resets')
