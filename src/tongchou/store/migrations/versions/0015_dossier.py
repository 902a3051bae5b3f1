"""档案: the documents received for a front-office matter (issue 19).

`dossier_document` is append-only (UPDATE and DELETE refused by trigger) and county-scoped under row-level
security like `person` (0008).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

APP_ROLE = "tongchou_app"
SETTING = "tongchou.county"
IN_SCOPE = (f"(coalesce(current_setting('{SETTING}', true), '') = '' "
            f"OR county = current_setting('{SETTING}', true))")


def upgrade() -> None:
    op.create_table(
        "dossier_document",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("matter", sa.String(40), nullable=False),
        sa.Column("matter_name", sa.String(40), nullable=False),
        sa.Column("matter_ref", sa.String(64), nullable=False),
        sa.Column("subject_type", sa.String(10), nullable=False),
        sa.Column("subject_id", sa.String(32), nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(120), nullable=False),
        sa.Column("media_type", sa.String(60), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("received_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_dossier_document"),
    )
    op.create_index("ix_dossier_document_subject", "dossier_document", ["subject_type", "subject_id"])
    op.create_index("ix_dossier_document_matter", "dossier_document", ["matter", "matter_ref"])
    if op.get_bind().dialect.name == "postgresql":
        _postgres_guards()
    else:
        op.execute("CREATE TRIGGER dossier_document_no_update BEFORE UPDATE ON dossier_document "
                   "BEGIN SELECT RAISE(ABORT, 'append-only table dossier_document: UPDATE refused'); END")
        op.execute("CREATE TRIGGER dossier_document_no_delete BEFORE DELETE ON dossier_document "
                   "BEGIN SELECT RAISE(ABORT, 'append-only table dossier_document: DELETE refused'); END")


def _postgres_guards() -> None:
    op.execute("CREATE TRIGGER dossier_document_append_only BEFORE UPDATE OR DELETE ON dossier_document "
               "FOR EACH ROW EXECUTE FUNCTION tongchou_append_only()")
    op.execute("ALTER TABLE dossier_document ENABLE ROW LEVEL SECURITY")
    statements = [f"CREATE POLICY dossier_document_county ON dossier_document FOR ALL TO {APP_ROLE} "
                  f"USING {IN_SCOPE} WITH CHECK {IN_SCOPE}",
                  f"GRANT SELECT, INSERT ON dossier_document TO {APP_ROLE}"]
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
        op.execute("DROP TRIGGER IF EXISTS dossier_document_append_only ON dossier_document")
    else:
        op.execute("DROP TRIGGER IF EXISTS dossier_document_no_update")
        op.execute("DROP TRIGGER IF EXISTS dossier_document_no_delete")
    op.drop_table("dossier_document")
