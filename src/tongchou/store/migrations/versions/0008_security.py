"""Security: the hash-chained audit trail, county row-level security, and the application role's grants.

1. `audit_event` (APPEND-ONLY: UPDATE/DELETE refused by a trigger on both engines, TRUNCATE on
   PostgreSQL) and `audit_head` (one row, id 1; a trigger lets its `seq` only move forward by one and
   refuses DELETE). See tongchou.audit.
2. PostgreSQL only — row-level security on the county-owned tables, keyed on the session setting
   `tongchou.county` (set per transaction by `Store(..., county=...)` with `set_config(..., true)`,
   i.e. SET LOCAL). NULL or empty means city-wide. Policies apply to the application role
   `tongchou_app`; the owner/migrator (`postgres`) is not subject to them. Shapes:
     - scoped: SELECT, INSERT, UPDATE, DELETE limited to rows of the session's county;
     - ledger (journal_entry, posting): SELECT scoped, INSERT free (a county's settlement may post to a
       relative's or the pool's account; both tables are append-only and written by the services only);
     - institution: SELECT free (reference data a settlement reads for any institution a person visits),
       writes scoped.
3. PostgreSQL only — grants to `tongchou_app` on the tables of 0003/0004 (never granted before) and on
   the audit tables (SELECT, INSERT on `audit_event`; SELECT, UPDATE on `audit_head`).

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

APP_ROLE = "tongchou_app"
GENESIS = "0" * 64
SETTING = "tongchou.county"
IN_SCOPE = (f"(coalesce(current_setting('{SETTING}', true), '') = '' "
            f"OR county = current_setting('{SETTING}', true))")

SCOPED = ("person", "family_relation", "enrolment", "filing", "contribution_batch", "contribution_line",
          "personal_account", "visit", "fee_item", "settlement", "settlement_cancellation", "year_state",
          "api_visit", "clearing_run", "fund_budget", "console_manual_claim", "sv_finding", "sv_case")
LEDGER = ("journal_entry", "posting")
READ_FREE = ("institution",)
RLS_TABLES = SCOPED + LEDGER + READ_FREE

# tables of 0003/0004 the application role had no grant on
GRANTS = {
    "api_credential": "SELECT, INSERT, UPDATE, DELETE", "api_nonce": "SELECT, INSERT, UPDATE, DELETE",
    "api_message": "SELECT, INSERT, UPDATE", "api_visit": "SELECT, INSERT, UPDATE", "api_fee": "SELECT, INSERT, UPDATE",
    "api_file": "SELECT, INSERT, UPDATE, DELETE", "cache_generation": "SELECT, UPDATE",
    "fund_budget": "SELECT, INSERT, UPDATE", "ledger_close": "SELECT, INSERT", "clearing_plan": "SELECT, INSERT, UPDATE",
    "clearing_run": "SELECT, INSERT, UPDATE", "clearing_item": "SELECT, INSERT",
    "audit_event": "SELECT, INSERT", "audit_head": "SELECT, UPDATE",
}

PG_HEAD_GUARD = """
CREATE OR REPLACE FUNCTION tongchou_audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 THEN
    RAISE EXCEPTION 'audit_head: % refused (the chain head only moves forward by one)', TG_OP
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
"""


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "audit_event", _id(),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("actor_role", sa.String(40), nullable=True),
        sa.Column("actor_county", sa.String(6), nullable=True),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=True),
        sa.Column("object_id", sa.String(200), nullable=True),
        sa.Column("source_ip", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_event"),
        sa.UniqueConstraint("seq", name="uq_audit_event_seq"),
    )
    op.create_index("ix_audit_event_action", "audit_event", ["action"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    op.execute(f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS}')")
    if op.get_bind().dialect.name == "postgresql":
        _postgres()
    else:
        _sqlite()


def _sqlite() -> None:
    for operation in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER audit_event_no_{operation.lower()} BEFORE {operation} ON audit_event "
                   f"BEGIN SELECT RAISE(ABORT, 'append-only table audit_event: {operation} refused'); END")
    op.execute("CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head "
               "WHEN NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 "
               "BEGIN SELECT RAISE(ABORT, 'audit_head: the chain head only moves forward by one'); END")
    op.execute("CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
               "BEGIN SELECT RAISE(ABORT, 'audit_head: DELETE refused'); END")


def _postgres() -> None:
    # tongchou_append_only() is created by 0002
    op.execute("CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
               "FOR EACH ROW EXECUTE FUNCTION tongchou_append_only()")
    op.execute("CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
               "FOR EACH STATEMENT EXECUTE FUNCTION tongchou_append_only()")
    op.execute(PG_HEAD_GUARD)
    op.execute("CREATE TRIGGER audit_head_forward BEFORE UPDATE OR DELETE ON audit_head "
               "FOR EACH ROW EXECUTE FUNCTION tongchou_audit_head_forward()")
    op.execute("CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
               "FOR EACH STATEMENT EXECUTE FUNCTION tongchou_append_only()")
    for table in RLS_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    statements = []
    for table in SCOPED:
        statements.append(f"CREATE POLICY {table}_county ON {table} FOR ALL TO {APP_ROLE} "
                          f"USING {IN_SCOPE} WITH CHECK {IN_SCOPE}")
    for table in LEDGER:
        statements.append(f"CREATE POLICY {table}_county_read ON {table} FOR SELECT TO {APP_ROLE} USING {IN_SCOPE}")
        statements.append(f"CREATE POLICY {table}_insert ON {table} FOR INSERT TO {APP_ROLE} WITH CHECK (true)")
    for table in READ_FREE:
        statements.append(f"CREATE POLICY {table}_read ON {table} FOR SELECT TO {APP_ROLE} USING (true)")
        statements.append(f"CREATE POLICY {table}_insert ON {table} FOR INSERT TO {APP_ROLE} WITH CHECK {IN_SCOPE}")
        statements.append(f"CREATE POLICY {table}_update ON {table} FOR UPDATE TO {APP_ROLE} "
                          f"USING {IN_SCOPE} WITH CHECK {IN_SCOPE}")
        statements.append(f"CREATE POLICY {table}_delete ON {table} FOR DELETE TO {APP_ROLE} USING {IN_SCOPE}")
    for table, privileges in GRANTS.items():
        statements.append(f"GRANT {privileges} ON {table} TO {APP_ROLE}")
    body = "\n".join(f"    EXECUTE {_quote(sql)};" for sql in statements)
    body += f"\n    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}', current_schema());"
    op.execute(f"""
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
{body}
  ELSE
    RAISE NOTICE 'role {APP_ROLE} does not exist: row-level security is on with no policy (only the owner reads)';
  END IF;
END
$$;
""")


def _quote(sql: str) -> str:
    return "'" + sql.replace("'", "''") + "'"


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in RLS_TABLES:
            for suffix in ("county", "county_read", "insert", "read", "update", "delete"):
                op.execute(f"DROP POLICY IF EXISTS {table}_{suffix} ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute("DROP TRIGGER IF EXISTS audit_head_forward ON audit_head")
        op.execute("DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_head")
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS tongchou_audit_head_forward()")
    else:
        for name in ("audit_event_no_update", "audit_event_no_delete", "audit_head_forward", "audit_head_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("audit_head")
    op.drop_index("ix_audit_event_action", table_name="audit_event")
    op.drop_table("audit_event")
