"""零星报销: the receipt a manual claim paid, unique in the store, and who reviewed it (双人复核).

`receipt_key` is the electronic receipt's 票据代码 + 票据号码 (`E:<code>:<number>`), or the
institution and the invoice number of a paper receipt (`I:<fixmedins_code>:<number>`): a receipt is
paid once, whatever the form is resubmitted as, also by two clerks at once (the unique index
refuses the second). Rows entered before this revision have none. `reviewed_by` is the second
person (role with `reimbursement.review`) who approved an amount above the review threshold.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("console_manual_claim", sa.Column("receipt_key", sa.String(120), nullable=True))
    op.add_column("console_manual_claim", sa.Column("reviewed_by", sa.String(64), nullable=True))
    op.create_index("uq_console_manual_claim_receipt_key", "console_manual_claim", ["receipt_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_console_manual_claim_receipt_key", table_name="console_manual_claim")
    with op.batch_alter_table("console_manual_claim") as batch:
        batch.drop_column("reviewed_by")
        batch.drop_column("receipt_key")
