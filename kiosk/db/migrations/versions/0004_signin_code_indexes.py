"""sign-in codes: indexes for the nonce check and the old-code sweep

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 03:05:00

The login page asks whether a client has seen a nonce before (client_id and nonce),
and every saved code sweeps the codes that expired long ago (expires_at). Without
these indexes both read every code kept. Expand only: the previous release runs on
this schema unchanged.
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('signin_codes', schema=None) as batch_op:
        batch_op.create_index('ix_signin_codes_client_id_nonce', ['client_id', 'nonce'],
                              unique=False)
        batch_op.create_index('ix_signin_codes_expires_at', ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('signin_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_signin_codes_expires_at')
        batch_op.drop_index('ix_signin_codes_client_id_nonce')
