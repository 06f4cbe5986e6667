"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 10:55:40.341582
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kiosk.db.types


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('activation_throttle',
    sa.Column('terminal', sa.String(length=64), nullable=False),
    sa.Column('window_started_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('paused_until', kiosk.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('terminal')
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', kiosk.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('client_address', sa.String(length=64), nullable=False),
    sa.Column('terminal', sa.String(length=64), nullable=False),
    sa.Column('guardian_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('reference', sa.String(length=8), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_action_at', ['action', 'at'], unique=False)
        batch_op.create_index('ix_audit_events_at', ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_guardian_id'), ['guardian_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_subject'), ['subject'], unique=False)

    op.create_table('guardians',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('given_name', sa.String(length=255), nullable=False),
    sa.Column('family_name', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('in_roster', sa.Boolean(), nullable=False),
    sa.Column('search_name', sa.String(length=511), nullable=False),
    sa.Column('search_family', sa.String(length=511), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sourced_id')
    )
    with op.batch_alter_table('guardians', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guardians_search_family'), ['search_family'], unique=False)
        batch_op.create_index(batch_op.f('ix_guardians_search_name'), ['search_name'], unique=False)

    op.create_table('schools',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('org_type', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sourced_id')
    )
    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=32), nullable=False),
    sa.Column('username_canonical', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', kiosk.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hard_locked', sa.Boolean(), nullable=False),
    sa.Column('last_login_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username_canonical')
    )
    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guardian_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=32), nullable=False),
    sa.Column('username_canonical', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('password_changed_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.Column('temporary_expires_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', kiosk.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hard_locked', sa.Boolean(), nullable=False),
    sa.Column('last_login_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['guardian_id'], ['guardians.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('guardian_id'),
    sa.UniqueConstraint('username_canonical')
    )
    op.create_table('activation_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guardian_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('issued_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', kiosk.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('issued_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['guardian_id'], ['guardians.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('digest')
    )
    with op.batch_alter_table('activation_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activation_keys_guardian_id'), ['guardian_id'], unique=False)

    op.create_table('students',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('given_name', sa.String(length=255), nullable=False),
    sa.Column('family_name', sa.String(length=255), nullable=False),
    sa.Column('student_number', sa.String(length=64), nullable=False),
    sa.Column('username_canonical', sa.String(length=255), nullable=True),
    sa.Column('grades', sa.String(length=64), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('enrolled', sa.Boolean(), nullable=False),
    sa.Column('search_name', sa.String(length=511), nullable=False),
    sa.Column('search_family', sa.String(length=511), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sourced_id')
    )
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_students_search_family'), ['search_family'], unique=False)
        batch_op.create_index(batch_op.f('ix_students_search_name'), ['search_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_students_student_number'), ['student_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_students_username_canonical'), ['username_canonical'], unique=False)

    op.create_table('guardian_students',
    sa.Column('guardian_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['guardian_id'], ['guardians.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('guardian_id', 'student_id')
    )
    with op.batch_alter_table('guardian_students', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guardian_students_student_id'), ['student_id'], unique=False)


    _make_audit_log_append_only()


def _make_audit_log_append_only() -> None:
    """The audit log refuses UPDATE and DELETE at the database itself."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    with op.batch_alter_table('guardian_students', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guardian_students_student_id'))

    op.drop_table('guardian_students')
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_students_username_canonical'))
        batch_op.drop_index(batch_op.f('ix_students_student_number'))
        batch_op.drop_index(batch_op.f('ix_students_search_name'))
        batch_op.drop_index(batch_op.f('ix_students_search_family'))

    op.drop_table('students')
    with op.batch_alter_table('activation_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activation_keys_guardian_id'))

    op.drop_table('activation_keys')
    op.drop_table('accounts')
    op.drop_table('staff_users')
    op.drop_table('schools')
    with op.batch_alter_table('guardians', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guardians_search_name'))
        batch_op.drop_index(batch_op.f('ix_guardians_search_family'))

    op.drop_table('guardians')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_subject'))
        batch_op.drop_index(batch_op.f('ix_audit_events_guardian_id'))
        batch_op.drop_index('ix_audit_events_at')
        batch_op.drop_index('ix_audit_events_action_at')

    op.drop_table('audit_events')
    op.drop_table('activation_throttle')
