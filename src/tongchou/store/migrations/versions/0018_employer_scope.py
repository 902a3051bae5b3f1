"""Employers county-scoped (issue 19 item 2, the console): on PostgreSQL the `employer` table is under
row-level security like `employment` and `declaration` (0013), so that a county clerk's session sees and
registers only the employers of the county (the service checks the same on SQLite). A city-wide session
(`tongchou.county` unset or empty) sees every employer.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

APP_ROLE = "tongchou_app"
SETTING = "tongchou.county"
IN_SCOPE = (f"(coalesce(current_setting('{SETTING}', true), '') = '' "
            f"OR county = current_setting('{SETTING}', true))")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE employer ENABLE ROW LEVEL SECURITY")
    policy = (f"CREATE POLICY employer_county ON employer FOR ALL TO {APP_ROLE} "
              f"USING {IN_SCOPE} WITH CHECK {IN_SCOPE}").replace("'", "''")
    op.execute(f"""
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    EXECUTE '{policy}';
    EXECUTE 'GRANT SELECT, INSERT ON employer TO {APP_ROLE}';
  END IF;
END
$$;
""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP POLICY IF EXISTS employer_county ON employer")
    op.execute("ALTER TABLE employer DISABLE ROW LEVEL SECURITY")
