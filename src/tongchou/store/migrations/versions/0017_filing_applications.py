"""门诊慢特病申报 (issue 19 item 6): the application received at a township health centre and decided by the
county branch. An approval writes the `filing` the settlement reads (`filing_id`); a pending or rejected
application writes none.

`filing_application` is county-scoped under row-level security like `filing` (0008).

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

APP_ROLE = "tongchou_app"
SETTING = "tongchou.county"
IN_SCOPE = (f"(coalesce(current_setting('{SETTING}', true), '') = '' "
            f"OR county = current_setting('{SETTING}', true))")


def upgrade() -> None:
    op.create_table(
        "filing_application",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("psn_no", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("insutype", sa.String(3), nullable=False),
        sa.Column("dise_code", sa.String(100), nullable=False),
        sa.Column("dise_name", sa.String(100), nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("window", sa.String(40), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.Column("received_by", sa.String(64), nullable=False),
        sa.Column("received_user", sa.String(64), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_user", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("filing_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("kind IN ('chronic', 'referral')", name=op.f("ck_filing_application_kind")),
        sa.CheckConstraint("state IN ('received', 'approved', 'rejected')", name=op.f("ck_filing_application_state")),
        sa.ForeignKeyConstraint(["psn_no"], ["person.psn_no"], name=op.f("fk_filing_application_psn_no_person")),
        sa.ForeignKeyConstraint(["received_at"], ["institution.code"],
                                name=op.f("fk_filing_application_received_at_institution")),
        sa.ForeignKeyConstraint(["filing_id"], ["filing.id"], name=op.f("fk_filing_application_filing_id_filing")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filing_application")),
    )
    op.create_index("ix_filing_application_person", "filing_application", ["psn_no", "kind"])
    op.create_index("ix_filing_application_queue", "filing_application", ["county", "state"])
    if op.get_bind().dialect.name == "postgresql":
        statements = [f"CREATE POLICY filing_application_county ON filing_application FOR ALL TO {APP_ROLE} "
                      f"USING {IN_SCOPE} WITH CHECK {IN_SCOPE}",
                      f"GRANT SELECT, INSERT, UPDATE ON filing_application TO {APP_ROLE}"]
        op.execute("ALTER TABLE filing_application ENABLE ROW LEVEL SECURITY")
        body = "\n".join("    EXECUTE '" + sql.replace("'", "''") + "';" for sql in statements)
        body += (f"\n    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}', "
                 "current_schema());")
        op.execute(f"""
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
{body}
  END IF;
END
$$;
""")


def downgrade() -> None:
    op.drop_index("ix_filing_application_queue", table_name="filing_application")
    op.drop_index("ix_filing_application_person", table_name="filing_application")
    op.drop_table("filing_application")
