"""sign-in provider: clients, codes, tokens, signing keys, subjects

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 23:22:15
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kiosk.db.types


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('signin_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=True),
    sa.Column('redirect_uris', sa.Text(), nullable=False),
    sa.Column('created_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('signin_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('algorithm', sa.String(length=8), nullable=False),
    sa.Column('private_jwk', sa.Text(), nullable=False),
    sa.Column('public_jwk', sa.Text(), nullable=False),
    sa.Column('created_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kid')
    )
    op.create_table('signin_secrets',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('created_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('signin_subjects',
    sa.Column('guardian_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['guardian_id'], ['guardians.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('guardian_id'),
    sa.UniqueConstraint('subject')
    )
    op.create_table('signin_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('redirect_uri', sa.Text(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('nonce', sa.Text(), nullable=True),
    sa.Column('code_challenge', sa.String(length=128), nullable=True),
    sa.Column('code_challenge_method', sa.String(length=16), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('auth_time', kiosk.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_hash')
    )
    with op.batch_alter_table('signin_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signin_codes_account_id'), ['account_id'], unique=False)

    op.create_table('signin_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('access_token_hash', sa.String(length=64), nullable=False),
    sa.Column('access_expires_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refresh_token_hash', sa.String(length=64), nullable=True),
    sa.Column('refresh_expires_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('family', sa.String(length=32), nullable=False),
    sa.Column('family_created_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('issued_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rotated_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('access_token_hash'),
    sa.UniqueConstraint('refresh_token_hash')
    )
    with op.batch_alter_table('signin_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signin_tokens_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signin_tokens_code_hash'), ['code_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_signin_tokens_family'), ['family'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('signin_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signin_tokens_family'))
        batch_op.drop_index(batch_op.f('ix_signin_tokens_code_hash'))
        batch_op.drop_index(batch_op.f('ix_signin_tokens_account_id'))

    op.drop_table('signin_tokens')
    with op.batch_alter_table('signin_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signin_codes_account_id'))

    op.drop_table('signin_codes')
    op.drop_table('signin_subjects')
    op.drop_table('signin_secrets')
    op.drop_table('signin_keys')
    op.drop_table('signin_clients')
