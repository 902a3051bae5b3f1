"""关系转移接续: transfers of the insurance relationship out of and into the pool, and the contribution years a
transfer-in certificate recognises (issue 19 item 4).

Both tables are append-only (UPDATE and DELETE refused by trigger) and county-scoped under row-level security
like `dossier_document` (0015).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

APP_ROLE = "tongchou_app"
SETTING = "tongchou.county"
IN_SCOPE = (f"(coalesce(current_setting('{SETTING}', true), '') = '' "
            f"OR county = current_setting('{SETTING}', true))")
TABLES = ("transfer", "recognised_years")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "transfer",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("psn_no", sa.String(32), sa.ForeignKey("person.psn_no", name="fk_transfer_psn_no_person"),
                  nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("pool_code", sa.String(6), nullable=False),
        sa.Column("pool_name", sa.String(100), nullable=False),
        sa.Column("transfer_date", sa.Date(), nullable=False),
        sa.Column("insutypes", sa.JSON(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("certificate", sa.JSON(), nullable=False),
        sa.Column("request_key", sa.String(64), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_transfer"),
        sa.UniqueConstraint("request_key", name="uq_transfer_request_key"),
        sa.CheckConstraint("direction IN ('out', 'in')", name="ck_transfer_direction"),
        sa.CheckConstraint("balance >= 0", name="ck_transfer_balance"),
    )
    op.create_index("ix_transfer_person", "transfer", ["psn_no", "direction"])
    op.create_table(
        "recognised_years",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("psn_no", sa.String(32), sa.ForeignKey("person.psn_no", name="fk_recognised_years_psn_no_person"),
                  nullable=False),
        sa.Column("insutype", sa.String(3), nullable=False),
        sa.Column("total_months", sa.Integer(), nullable=False),
        sa.Column("continuous_months", sa.Integer(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("transfer_id", ID, sa.ForeignKey("transfer.id", name="fk_recognised_years_transfer_id_transfer")),
        sa.Column("county", sa.String(6), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recognised_years"),
        sa.CheckConstraint("total_months >= continuous_months AND continuous_months >= 0",
                           name="ck_recognised_years_months"),
    )
    op.create_index("ix_recognised_years_psn_no", "recognised_years", ["psn_no"])
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            _postgres_guards(table)
    else:
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: UPDATE refused'); END")
            op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: DELETE refused'); END")


def _postgres_guards(table: str) -> None:
    op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
               "FOR EACH ROW EXECUTE FUNCTION tongchou_append_only()")
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    statements = [f"CREATE POLICY {table}_county ON {table} FOR ALL TO {APP_ROLE} "
                  f"USING {IN_SCOPE} WITH CHECK {IN_SCOPE}",
                  f"GRANT SELECT, INSERT ON {table} TO {APP_ROLE}"]
    body = "\n".join("    EXECUTE '" + sql.replace("'", "''") + "';" for sql in statements)
    body += f"\n    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}', current_schema());"
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
    for table in reversed(TABLES):
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        op.drop_table(table)
