"""Persons and households (issue 19 item 1).

- `person.address_enc` (encrypted like the phone) and `person.death_date` (the last day covered);
- `person_change`: changes of name, phone and address, the old and new values encrypted and masked;
  UPDATE refused but of the encrypted columns (a key rotation re-seals them), DELETE refused;
- `household` (户) and `household_member` (relation to the head, joined and left: history kept).

The new tables are county-scoped under row-level security like `person` (0008).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

APP_ROLE = "tongchou_app"
SETTING = "tongchou.county"
IN_SCOPE = (f"(coalesce(current_setting('{SETTING}', true), '') = '' "
            f"OR county = current_setting('{SETTING}', true))")
SCOPED = ("person_change", "household", "household_member")
FIXED_COLUMNS = "psn_no, field, old_masked, new_masked, changed_on, changed_by, county"


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.add_column("person", sa.Column("address_enc", sa.Text(), nullable=True))
    op.add_column("person", sa.Column("death_date", sa.Date(), nullable=True))
    op.create_table(
        "person_change", _id(),
        sa.Column("psn_no", sa.String(32), sa.ForeignKey("person.psn_no", name="fk_person_change_psn_no_person"),
                  nullable=False),
        sa.Column("field", sa.String(20), nullable=False),
        sa.Column("old_enc", sa.Text(), nullable=True),
        sa.Column("new_enc", sa.Text(), nullable=True),
        sa.Column("old_masked", sa.String(200), nullable=False),
        sa.Column("new_masked", sa.String(200), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("changed_by", sa.String(64), nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_person_change"),
    )
    op.create_index("ix_person_change_psn_no", "person_change", ["psn_no"])
    op.create_table(
        "household", _id(),
        sa.Column("household_no", sa.String(32), nullable=False),
        sa.Column("head", sa.String(32), sa.ForeignKey("person.psn_no", name="fk_household_head_person"),
                  nullable=False),
        sa.Column("county", sa.String(6), sa.ForeignKey("county.admdvs", name="fk_household_county_county"),
                  nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_household"),
        sa.UniqueConstraint("household_no", name="uq_household_household_no"),
    )
    op.create_table(
        "household_member", _id(),
        sa.Column("household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.ForeignKey("household.id", name="fk_household_member_household_id_household"), nullable=False),
        sa.Column("psn_no", sa.String(32), sa.ForeignKey("person.psn_no", name="fk_household_member_psn_no_person"),
                  nullable=False),
        sa.Column("relation", sa.String(10), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.CheckConstraint("relation IN ('head', 'spouse', 'child', 'parent', 'other')",
                           name="ck_household_member_relation"),
        sa.PrimaryKeyConstraint("id", name="pk_household_member"),
    )
    op.create_index("ix_household_member_household_id", "household_member", ["household_id"])
    op.create_index("ix_household_member_person", "household_member", ["psn_no", "left_on"])
    if op.get_bind().dialect.name == "postgresql":
        _postgres_guards()
    else:
        _sqlite_guards()


def _sqlite_guards() -> None:
    op.execute(f"CREATE TRIGGER person_change_no_update BEFORE UPDATE OF {FIXED_COLUMNS} ON person_change "
               "BEGIN SELECT RAISE(ABORT, 'append-only table person_change: UPDATE refused'); END")
    op.execute("CREATE TRIGGER person_change_no_delete BEFORE DELETE ON person_change "
               "BEGIN SELECT RAISE(ABORT, 'append-only table person_change: DELETE refused'); END")


def _postgres_guards() -> None:
    op.execute(f"CREATE TRIGGER person_change_append_only BEFORE UPDATE OF {FIXED_COLUMNS} OR DELETE "
               "ON person_change FOR EACH ROW EXECUTE FUNCTION tongchou_append_only()")
    statements = []
    for table in SCOPED:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        statements.append(f"CREATE POLICY {table}_county ON {table} FOR ALL TO {APP_ROLE} "
                          f"USING {IN_SCOPE} WITH CHECK {IN_SCOPE}")
        privileges = "SELECT, INSERT, UPDATE" if table == "person_change" else "SELECT, INSERT, UPDATE, DELETE"
        statements.append(f"GRANT {privileges} ON {table} TO {APP_ROLE}")
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
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS person_change_append_only ON person_change")
    else:
        op.execute("DROP TRIGGER IF EXISTS person_change_no_update")
        op.execute("DROP TRIGGER IF EXISTS person_change_no_delete")
    for table in ("household_member", "household", "person_change"):
        op.drop_table(table)
    for column in ("death_date", "address_enc"):
        op.drop_column("person", column)
