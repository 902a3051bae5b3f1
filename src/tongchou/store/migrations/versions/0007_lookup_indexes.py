"""Indexes for the console's look-ups: an institution's settlements by day, persons by name.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_settlement_institution_day", "settlement", ["fixmedins_code", "enddate"])
    op.create_index("ix_person_name", "person", ["name"])


def downgrade() -> None:
    op.drop_index("ix_person_name", table_name="person")
    op.drop_index("ix_settlement_institution_day", table_name="settlement")
