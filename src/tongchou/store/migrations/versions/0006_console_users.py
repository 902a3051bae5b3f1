"""Console: users, sessions and manual reimbursements (tongchou.access.models).

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APP_ROLE = "tongchou_app"


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True)


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "console_user", _id(),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("county", sa.String(6), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_console_user"),
        sa.UniqueConstraint("username", name="uq_console_user_username"),
    )
    op.create_table(
        "console_session",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.ForeignKey("console_user.id", name="fk_console_session_user_id_console_user"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_console_session"),
    )
    op.create_index("ix_console_session_user_id", "console_session", ["user_id"])
    op.create_table(
        "console_manual_claim", _id(),
        sa.Column("setl_id", sa.String(64),
                  sa.ForeignKey("settlement.setl_id", name="fk_console_manual_claim_setl_id_settlement"),
                  nullable=False),
        sa.Column("psn_no", sa.String(32), nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("receipt_no", sa.String(64), nullable=True),
        sa.Column("entered_by", sa.String(64), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_console_manual_claim"),
        sa.UniqueConstraint("setl_id", name="uq_console_manual_claim_setl_id"),
    )
    op.create_index("ix_console_manual_claim_psn_no", "console_manual_claim", ["psn_no"])
    if op.get_bind().dialect.name == "postgresql":
        _grant()


def _grant() -> None:
    """The application role (when the server has one) reads and writes users and sessions, and
    inserts manual claims (never updates or deletes them)."""
    op.execute(f"""
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    EXECUTE 'GRANT SELECT, INSERT, UPDATE ON console_user, console_session TO {APP_ROLE}';
    EXECUTE 'GRANT SELECT, INSERT ON console_manual_claim TO {APP_ROLE}';
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}', current_schema());
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'grants to {APP_ROLE} not made: insufficient privilege';
END
$$;
""")


def downgrade() -> None:
    op.drop_index("ix_console_manual_claim_psn_no", table_name="console_manual_claim")
    op.drop_table("console_manual_claim")
    op.drop_index("ix_console_session_user_id", table_name="console_session")
    op.drop_table("console_session")
    op.drop_table("console_user")
