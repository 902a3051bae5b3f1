"""County rows cached by the API workers: a `cache_generation` counter for `county`, bumped by triggers.

The settlement service keeps institutions, counties and catalogue entries per worker
(`store/cache.py`) until the table's counter moves; 0003 gave counters to `institution`,
`catalogue_item` and `api_credential`, this gives one to `county` (a county's pool).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLE = "county"
OPERATIONS = ("insert", "update", "delete")


def upgrade() -> None:
    op.execute(f"INSERT INTO cache_generation (name, generation) VALUES ('{TABLE}', 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE TRIGGER {TABLE}_generation AFTER INSERT OR UPDATE OR DELETE ON {TABLE} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION tongchou_bump_generation()")
        return
    for operation in OPERATIONS:
        op.execute(f"CREATE TRIGGER {TABLE}_generation_{operation} AFTER {operation.upper()} ON {TABLE} "
                   f"BEGIN UPDATE cache_generation SET generation = generation + 1 WHERE name = '{TABLE}'; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_generation ON {TABLE}")
    else:
        for operation in OPERATIONS:
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_generation_{operation}")
    op.execute(f"DELETE FROM cache_generation WHERE name = '{TABLE}'")
