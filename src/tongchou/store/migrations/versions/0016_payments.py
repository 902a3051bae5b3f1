"""Payments to persons (代发, issue 19 item 8).

- `bank_account`: a person's bank details for payments, the account number encrypted like the phone;
- `payment_batch`: a bank payment file (count and total as produced);
- `payment`: one payment (a manual reimbursement, an account payout, a re-issue of a returned payment), its
  bank details, amount per fund, state and batch; `source_key` unique (paid once, re-issued once),
  (`batch_id`, `seq`) unique.

County-scoped under row-level security like `person` (0008).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

APP_ROLE = "tongchou_app"
SETTING = "tongchou.county"
IN_SCOPE = (f"(coalesce(current_setting('{SETTING}', true), '') = '' "
            f"OR county = current_setting('{SETTING}', true))")
SCOPED = ("bank_account", "payment_batch", "payment")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", ID, primary_key=True, autoincrement=True)


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    op.create_table(
        "bank_account", _id(),
        sa.Column("psn_no", sa.String(32), sa.ForeignKey("person.psn_no", name="fk_bank_account_psn_no_person"),
                  nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("payee_name", sa.String(60), nullable=False),
        sa.Column("bank_name", sa.String(100), nullable=False),
        sa.Column("account_no_enc", sa.Text(), nullable=False),
        sa.Column("account_masked", sa.String(40), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_bank_account"),
    )
    op.create_index("ix_bank_account_psn_no", "bank_account", ["psn_no"])
    op.create_table(
        "payment_batch", _id(),
        sa.Column("batch_no", sa.String(32), nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_payment_batch"),
        sa.UniqueConstraint("batch_no", name="uq_payment_batch_batch_no"),
    )
    op.create_table(
        "payment", _id(),
        sa.Column("source_key", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("psn_no", sa.String(32), sa.ForeignKey("person.psn_no", name="fk_payment_psn_no_person"),
                  nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("payee_name", sa.String(60), nullable=False),
        sa.Column("bank_name", sa.String(100), nullable=False),
        sa.Column("account_no_enc", sa.Text(), nullable=False),
        sa.Column("account_masked", sa.String(40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("funds", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(60), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("batch_id", ID, sa.ForeignKey("payment_batch.id", name="fk_payment_batch_id_payment_batch"),
                  nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("return_code", sa.String(4), nullable=True),
        sa.Column("return_note", sa.String(200), nullable=True),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.Column("reissue_of", ID, sa.ForeignKey("payment.id", name="fk_payment_reissue_of_payment"), nullable=True),
        sa.Column("entered_by", sa.String(64), nullable=False),
        sa.Column("reviewed_by", sa.String(64), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        _created(),
        sa.CheckConstraint("state IN ('pending', 'sent', 'paid', 'returned')", name="ck_payment_state"),
        sa.CheckConstraint("amount > 0", name="ck_payment_amount"),
        sa.PrimaryKeyConstraint("id", name="pk_payment"),
        sa.UniqueConstraint("source_key", name="uq_payment_source_key"),
        sa.UniqueConstraint("batch_id", "seq", name="uq_payment_batch_id"),
    )
    op.create_index("ix_payment_psn_no", "payment", ["psn_no"])
    op.create_index("ix_payment_batch_id", "payment", ["batch_id"])
    op.create_index("ix_payment_state", "payment", ["county", "state"])
    if op.get_bind().dialect.name == "postgresql":
        _postgres_guards()


def _postgres_guards() -> None:
    statements = []
    for table in SCOPED:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        statements.append(f"CREATE POLICY {table}_county ON {table} FOR ALL TO {APP_ROLE} "
                          f"USING {IN_SCOPE} WITH CHECK {IN_SCOPE}")
        statements.append(f"GRANT SELECT, INSERT, UPDATE ON {table} TO {APP_ROLE}")
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
    op.drop_table("payment")
    op.drop_table("payment_batch")
    op.drop_table("bank_account")
