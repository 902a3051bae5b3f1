"""Supervision: screening runs, findings, cases and their events, benefit suspensions, agreement
actions, credit events (tongchou.supervision.models).

Findings, cases, case findings, case events, suspensions, agreement actions and credit events are
APPEND-ONLY: a trigger refuses UPDATE and DELETE on both engines (and TRUNCATE on PostgreSQL),
with the function of migration 0002; the application role gets SELECT/INSERT only on them.

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GUARDED = ("sv_finding", "sv_case", "sv_case_finding", "sv_case_event", "sv_benefit_suspension",
           "sv_agreement_action", "sv_credit_event")
APP_ROLE = "tongchou_app"


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "sv_run", _id(),
        sa.Column("source", sa.Text(), nullable=False), sa.Column("rules", sa.String(200), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False), sa.Column("skipped", sa.JSON(), nullable=False), _created(),
        sa.PrimaryKeyConstraint("id", name="pk_sv_run"),
    )
    op.create_table(
        "sv_finding", _id(),
        sa.Column("finding_key", sa.String(64), nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.ForeignKey("sv_run.id", name="fk_sv_finding_run_id_sv_run"), nullable=True),
        sa.Column("rule_id", sa.String(40), nullable=False), sa.Column("rule_name", sa.String(100), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False), sa.Column("stage", sa.String(8), nullable=False),
        sa.Column("blocking", sa.Boolean(), nullable=False), sa.Column("setl_id", sa.String(64)),
        sa.Column("related_setl_ids", sa.JSON(), nullable=False), sa.Column("psn_no", sa.String(32)),
        sa.Column("fixmedins_code", sa.String(32)), sa.Column("doctor_code", sa.String(64)),
        sa.Column("feedetl_sns", sa.JSON(), nullable=False), sa.Column("county", sa.String(6)),
        sa.Column("amount", sa.BigInteger(), nullable=False), sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False), sa.Column("found_on", sa.Date(), nullable=False), _created(),
        sa.PrimaryKeyConstraint("id", name="pk_sv_finding"),
        sa.UniqueConstraint("finding_key", name="uq_sv_finding_finding_key"),
    )
    op.create_index("ix_sv_finding_rule", "sv_finding", ["rule_id", "found_on"])
    op.create_index("ix_sv_finding_setl_id", "sv_finding", ["setl_id"])
    op.create_index("ix_sv_finding_psn_no", "sv_finding", ["psn_no"])
    op.create_index("ix_sv_finding_fixmedins_code", "sv_finding", ["fixmedins_code"])
    op.create_table(
        "sv_case", _id(),
        sa.Column("case_no", sa.String(40), nullable=False), sa.Column("subject_kind", sa.String(12), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False), sa.Column("county", sa.String(6), nullable=False),
        sa.Column("amount_at_issue", sa.BigInteger(), nullable=False), sa.Column("opened_on", sa.Date(), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_sv_case"), sa.UniqueConstraint("case_no", name="uq_sv_case_case_no"),
        sa.CheckConstraint("subject_kind IN ('institution', 'person', 'doctor')", name="ck_sv_case_subject_kind"),
    )
    op.create_index("ix_sv_case_subject", "sv_case", ["subject_kind", "subject_id"])
    op.create_table(
        "sv_case_finding", _id(),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.ForeignKey("sv_case.id", name="fk_sv_case_finding_case_id_sv_case"), nullable=False),
        sa.Column("finding_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.ForeignKey("sv_finding.id", name="fk_sv_case_finding_finding_id_sv_finding"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sv_case_finding"),
        sa.UniqueConstraint("finding_id", name="uq_sv_case_finding_finding_id"),
    )
    op.create_index("ix_sv_case_finding_case_id", "sv_case_finding", ["case_id"])
    op.create_table(
        "sv_case_event", _id(),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.ForeignKey("sv_case.id", name="fk_sv_case_event_case_id_sv_case"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False), sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("on", sa.Date(), nullable=False), sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False), sa.Column("text", sa.Text(), nullable=False), _created(),
        sa.PrimaryKeyConstraint("id", name="pk_sv_case_event"),
        sa.UniqueConstraint("case_id", "seq", name="uq_sv_case_event_case_id"),
    )
    op.create_table(
        "sv_benefit_suspension", _id(),
        sa.Column("psn_no", sa.String(32), nullable=False), sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False), sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("case_no", sa.String(40)), sa.Column("reason", sa.Text(), nullable=False), _created(),
        sa.PrimaryKeyConstraint("id", name="pk_sv_benefit_suspension"),
        sa.CheckConstraint("kind IN ('suspend', 'lift')", name="ck_sv_benefit_suspension_kind"),
    )
    op.create_index("ix_sv_benefit_suspension_person", "sv_benefit_suspension", ["psn_no", "valid_from"])
    op.create_table(
        "sv_agreement_action", _id(),
        sa.Column("fixmedins_code", sa.String(32),
                  sa.ForeignKey("institution.code", name="fk_sv_agreement_action_fixmedins_code_institution"),
                  nullable=False),
        sa.Column("action", sa.String(12), nullable=False), sa.Column("on", sa.Date(), nullable=False),
        sa.Column("case_no", sa.String(40)), sa.Column("reason", sa.Text(), nullable=False), _created(),
        sa.PrimaryKeyConstraint("id", name="pk_sv_agreement_action"),
    )
    op.create_index("ix_sv_agreement_action_fixmedins_code", "sv_agreement_action", ["fixmedins_code"])
    op.create_table(
        "sv_credit_event", _id(),
        sa.Column("subject_kind", sa.String(12), nullable=False), sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("on", sa.Date(), nullable=False), sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("source", sa.String(120), nullable=False), sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False), sa.Column("scoring_version", sa.Integer(), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_sv_credit_event"),
        sa.UniqueConstraint("subject_kind", "subject_id", "source", name="uq_sv_credit_event_subject_kind"),
    )
    op.create_index("ix_sv_credit_event_subject", "sv_credit_event", ["subject_kind", "subject_id", "on"])
    _guards()


def _guards() -> None:
    dialect = op.get_bind().dialect.name
    for table in GUARDED:
        if dialect == "postgresql":
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION tongchou_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION tongchou_append_only()")
        else:
            for operation in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: {operation} refused "
                           f"(record a new row instead)'); END")
    if dialect == "postgresql":
        op.execute(f"""
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    EXECUTE 'GRANT SELECT, INSERT ON {", ".join(GUARDED)} TO {APP_ROLE}';
    EXECUTE 'GRANT SELECT, INSERT, UPDATE ON sv_run TO {APP_ROLE}';
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}', current_schema());
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'grants to {APP_ROLE} not made: insufficient privilege; triggers still guard';
END
$$;
""")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in GUARDED:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    for table in ("sv_credit_event", "sv_agreement_action", "sv_benefit_suspension", "sv_case_event",
                  "sv_case_finding", "sv_case", "sv_finding", "sv_run"):
        op.drop_table(table)
