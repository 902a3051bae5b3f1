"""Employers and their declarations (issue 19 item 2): `employment` (增减员, with the employee enrolment
each opened) and `declaration` (缴费申报: base, employer and employee parts, due date, what the tax
bureau collected and the late fee). On PostgreSQL both are county-scoped by row-level security.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

APP_ROLE = "tongchou_app"
SETTING = "tongchou.county"
IN_SCOPE = (f"(coalesce(current_setting('{SETTING}', true), '') = '' "
            f"OR county = current_setting('{SETTING}', true))")
TABLES = ("employment", "declaration")


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True)


def _fk(column: str, target: str, table: str) -> sa.Column:
    referred = target.split(".")[0]
    return sa.Column(column, sa.String(32), sa.ForeignKey(target, name=f"fk_{table}_{column}_{referred}"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "employment", _id(),
        _fk("employer", "employer.code", "employment"),
        _fk("psn_no", "person.psn_no", "employment"),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("enrolment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.ForeignKey("enrolment.id", name="fk_employment_enrolment_id_enrolment"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_employment"),
    )
    op.create_index("ix_employment_employer", "employment", ["employer", "psn_no"])
    op.create_index("ix_employment_psn_no", "employment", ["psn_no"])
    op.create_table(
        "declaration", _id(),
        _fk("employer", "employer.code", "declaration"),
        _fk("psn_no", "person.psn_no", "declaration"),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False)
          for name in ("wage", "base", "employer_part", "individual_part")),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("collected_on", sa.Date(), nullable=True),
        sa.Column("late_fee", sa.BigInteger(), nullable=True),
        sa.Column("collection_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.ForeignKey("contribution_line.id", name="fk_declaration_collection_line_id_contribution_line"),
                  nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("base > 0 AND employer_part >= 0 AND individual_part >= 0", name=op.f("ck_declaration_amounts")),
        sa.PrimaryKeyConstraint("id", name="pk_declaration"),
        sa.UniqueConstraint("employer", "psn_no", "month", name="uq_declaration_employer"),
    )
    op.create_index("ix_declaration_psn_no", "declaration", ["psn_no"])
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
                       f"EXECUTE 'CREATE POLICY {table}_county ON {table} FOR ALL TO {APP_ROLE} "
                       f"USING {IN_SCOPE.replace(chr(39), chr(39) * 2)} WITH CHECK {IN_SCOPE.replace(chr(39), chr(39) * 2)}'; "
                       f"GRANT SELECT, INSERT, UPDATE ON {table} TO {APP_ROLE}; END IF; END $$")
        op.execute(f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
                   f"GRANT SELECT, INSERT ON employer TO {APP_ROLE}; "
                   f"EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}', "
                   f"current_schema()); END IF; END $$")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP POLICY IF EXISTS {table}_county ON {table}")
    op.drop_table("declaration")
    op.drop_table("employment")
