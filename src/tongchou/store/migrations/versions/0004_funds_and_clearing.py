"""Funds and clearing: budgets, monthly closes, clearing plans, runs and items; closed months refused.

- `fund_budget`: the plan per year, fund and county (`tongchou funds budget`);
- `ledger_close`: the closed months (`tongchou funds close-month`). A trigger refuses any
  `journal_entry` booked on or before the latest closed month's end, on both engines:
  corrections go to the open month;
- `clearing_plan`, `clearing_run`, `clearing_item`: the clearing with institutions
  (`tongchou clearing plan|run|approve|pay|year-end`);
- an index on `journal_entry.booked_on` for balances at a date.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NOW = sa.text("(CURRENT_TIMESTAMP)")

PG_CLOSED_FUNCTION = """
CREATE OR REPLACE FUNCTION tongchou_closed_month() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE closed_to date;
BEGIN
  SELECT max(period_end) INTO closed_to FROM ledger_close;
  IF closed_to IS NOT NULL AND NEW.booked_on <= closed_to THEN
    RAISE EXCEPTION 'journal_entry.booked_on %: the month is closed (closed to %); book the correction in the open month',
      NEW.booked_on, closed_to USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
"""


def upgrade() -> None:
    op.create_table(
        "fund_budget",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("fund", sa.String(length=30), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("revenue", sa.BigInteger(), nullable=False),
        sa.Column("expenditure", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("revenue >= 0 AND expenditure >= 0", name=op.f("ck_fund_budget_amounts")),
        sa.PrimaryKeyConstraint("year", "fund", "county", name=op.f("pk_fund_budget")),
    )
    op.create_table(
        "ledger_close",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("closed_by", sa.String(length=100), nullable=False),
        sa.Column("last_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_ledger_close")),
        sa.UniqueConstraint("period_end", name=op.f("uq_ledger_close_period_end")),
    )
    op.create_table(
        "clearing_plan",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_clearing_plan")),
    )
    op.create_table(
        "clearing_run",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("fixmedins_code", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("payable", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=True),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("kind IN ('monthly', 'year_end')", name=op.f("ck_clearing_run_kind")),
        sa.CheckConstraint("status IN ('draft', 'approved', 'paid')", name=op.f("ck_clearing_run_status")),
        sa.ForeignKeyConstraint(["fixmedins_code"], ["institution.code"],
                                name=op.f("fk_clearing_run_fixmedins_code_institution")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearing_run")),
        sa.UniqueConstraint("fixmedins_code", "period", "kind", name=op.f("uq_clearing_run_fixmedins_code")),
    )
    op.create_table(
        "clearing_item",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("setl_id", sa.String(length=64), nullable=False),
        sa.Column("sign", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["clearing_run.id"], name=op.f("fk_clearing_item_run_id_clearing_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearing_item")),
        sa.UniqueConstraint("setl_id", "sign", name=op.f("uq_clearing_item_setl_id")),
    )
    op.create_index(op.f("ix_clearing_item_run_id"), "clearing_item", ["run_id"], unique=False)
    op.create_index("ix_journal_entry_booked_on", "journal_entry", ["booked_on"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_CLOSED_FUNCTION)
        op.execute("CREATE TRIGGER journal_entry_closed_month BEFORE INSERT ON journal_entry "
                   "FOR EACH ROW EXECUTE FUNCTION tongchou_closed_month()")
    else:
        op.execute(
            "CREATE TRIGGER journal_entry_closed_month BEFORE INSERT ON journal_entry "
            "WHEN NEW.booked_on <= (SELECT max(period_end) FROM ledger_close) "
            "BEGIN SELECT RAISE(ABORT, 'journal_entry.booked_on: the month is closed; "
            "book the correction in the open month'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS journal_entry_closed_month ON journal_entry")
        op.execute("DROP FUNCTION IF EXISTS tongchou_closed_month()")
    else:
        op.execute("DROP TRIGGER IF EXISTS journal_entry_closed_month")
    op.drop_index("ix_journal_entry_booked_on", table_name="journal_entry")
    op.drop_index(op.f("ix_clearing_item_run_id"), table_name="clearing_item")
    op.drop_table("clearing_item")
    op.drop_table("clearing_run")
    op.drop_table("clearing_plan")
    op.drop_table("ledger_close")
    op.drop_table("fund_budget")
