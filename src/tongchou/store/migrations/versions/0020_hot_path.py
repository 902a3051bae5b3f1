"""The API's hot path (issue 18): `tongchou_refuse(reason)`, which raises an error carrying `reason`.

The hot path (`api.hot_path`) writes a settlement's whole effect in one statement of data-modifying CTEs;
a guard that must refuse the whole statement (the fee lines changed meanwhile, a visit id of another person)
calls this function, whose error rolls the statement back. VOLATILE, so that it runs only for the rows that
reach it (never folded at planning). PostgreSQL only; nothing on SQLite.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE OR REPLACE FUNCTION tongchou_refuse(reason text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'tongchou_refuse:' || reason;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS tongchou_refuse(text)")
