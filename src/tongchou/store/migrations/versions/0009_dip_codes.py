"""DIP codes: the main diagnosis and main procedure of a settlement and of an API visit.

`diag_code` (ICD-10; the national `dscg_maindiag_code` / `diag_code` are C20) and `oprn_code`
(ICD-9-CM-3; `oprn_oprt_code` is C30) on `settlement` and `api_visit`, both nullable: settlements
made before this revision have neither, and DIP groups them by their `dise_code` (docs/clearing.md).
Adding or dropping a column updates no row, so the append-only guards of `settlement` do not fire;
the grants of `tongchou_app` are per table and cover the new columns.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLES = ("settlement", "api_visit")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("diag_code", sa.String(20), nullable=True))
        op.add_column(table, sa.Column("oprn_code", sa.String(30), nullable=True))


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_column(table, "oprn_code")
        op.drop_column(table, "diag_code")
