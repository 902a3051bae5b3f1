"""The national gateway signature, identity by card and e-certificate, hospital item mappings and
settlement lists (issue 17).

- `institution.signature` / `api_credential.signature`: the recipe a secret signs with, `hmac` (the
  body-signing recipe, the default) or `gateway` (the national gateway's); `institution.lookup_quota`:
  1101 look-ups a day (NULL: the service's default).
- `person.card_no_enc` / `card_no_hash` (social security card number, encrypted and keyed-hashed like the
  ID number) and `card_sn_enc` / `card_sn_hash` (the card's identification code).
- `ecert`: electronic certificates Tongchou issues (a token presentable for 5 minutes, then bound to the
  visit it opened); `api_lookup_count`: 1101 look-ups per institution and day (the quota).
- `medins_item_map`: a hospital's own item codes mapped to catalogue codes (3301/3302);
  `setl_list`: settlement lists (医保结算清单, 4101/4101A) with their diagnoses and procedures.

Revision ID: 0012
Revises: 0010
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

APP_ROLE = "tongchou_app"
GRANTS = {"ecert": "SELECT, INSERT, UPDATE", "api_lookup_count": "SELECT, INSERT, UPDATE",
          "medins_item_map": "SELECT, INSERT, UPDATE", "setl_list": "SELECT, INSERT, UPDATE"}


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True)


CERTIFICATES = ("mdtrt_cert_no", "certno", "card_sn", "card_no")
NAMES = ("psn_name", "name")


def _masked(node):
    """The node with certificate numbers masked (first 6, last 4) and names cut to their first character."""
    if isinstance(node, list):
        return [_masked(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if isinstance(value, str) and value and key in CERTIFICATES:
            value = value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else value[:2] + "*" * (
                len(value) - 2)
        elif isinstance(value, str) and value and key in NAMES:
            value = value[:1] + "*" * (len(value) - 1)
        out[key] = _masked(value)
    return out


def _mask_visit_info() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, info FROM api_visit")).all()
    value = "CAST(:info AS JSON)" if bind.dialect.name == "postgresql" else ":info"
    for visit_id, info in rows:
        parsed = json.loads(info) if isinstance(info, str) else info
        masked = _masked(parsed)
        if masked != parsed:
            bind.execute(sa.text(f"UPDATE api_visit SET info = {value} WHERE id = :id"),
                         {"info": json.dumps(masked, ensure_ascii=False), "id": visit_id})


def upgrade() -> None:
    _mask_visit_info()
    # plain ADD COLUMN (no batch copy on SQLite: the tables keep their triggers)
    op.add_column("institution", sa.Column("signature", sa.String(8), nullable=False, server_default="hmac"))
    op.add_column("institution", sa.Column("lookup_quota", sa.Integer(), nullable=True))
    op.add_column("api_credential", sa.Column("signature", sa.String(8), nullable=False, server_default="hmac"))
    for column in ("card_no_enc", "card_sn_enc"):
        op.add_column("person", sa.Column(column, sa.Text(), nullable=True))
    for column in ("card_no_hash", "card_sn_hash"):
        op.add_column("person", sa.Column(column, sa.String(64), nullable=True))
    op.create_index("ix_person_card_no_hash", "person", ["card_no_hash"], unique=True)
    op.create_table(
        "ecert",
        sa.Column("serial", sa.String(32), nullable=False),
        sa.Column("psn_no", sa.String(32), sa.ForeignKey("person.psn_no", name="fk_ecert_psn_no_person"),
                  nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fixmedins_code", sa.String(32), nullable=True),
        sa.Column("mdtrt_id", sa.String(30), nullable=True),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("serial", name="pk_ecert"),
    )
    op.create_index("ix_ecert_psn_no", "ecert", ["psn_no"])
    op.create_table(
        "api_lookup_count",
        sa.Column("fixmedins_code", sa.String(32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("fixmedins_code", "day", name="pk_api_lookup_count"),
    )
    op.create_table(
        "medins_item_map", _id(),
        sa.Column("fixmedins_code", sa.String(32), sa.ForeignKey("institution.code",
                                                                 name="fk_medins_item_map_fixmedins_code_institution"),
                  nullable=False),
        sa.Column("medins_list_codg", sa.String(150), nullable=False),
        sa.Column("medins_list_name", sa.String(200), nullable=False),
        sa.Column("hilist_code", sa.String(50), nullable=False),
        sa.Column("list_type", sa.String(6), nullable=False),
        sa.Column("begndate", sa.Date(), nullable=False),
        sa.Column("enddate", sa.Date(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False, server_default="active"),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_medins_item_map"),
    )
    op.create_index("ix_medins_item_map_code", "medins_item_map", ["fixmedins_code", "medins_list_codg"])
    op.create_table(
        "setl_list", _id(),
        sa.Column("fixmedins_code", sa.String(32), nullable=False),
        sa.Column("setl_id", sa.String(64), nullable=False),
        sa.Column("mdtrt_id", sa.String(30), nullable=False),
        sa.Column("psn_no", sa.String(32), nullable=False),
        sa.Column("diag_code", sa.String(20), nullable=True),
        sa.Column("oprn_code", sa.String(30), nullable=True),
        sa.Column("diagnoses", sa.JSON(), nullable=False),
        sa.Column("operations", sa.JSON(), nullable=False),
        sa.Column("info", sa.JSON(), nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_setl_list"),
        sa.UniqueConstraint("setl_id", name="uq_setl_list_setl_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table, privileges in GRANTS.items():
            op.execute(f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
                       f"GRANT {privileges} ON {table} TO {APP_ROLE}; END IF; END $$")
        op.execute(f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
                   f"EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}', "
                   f"current_schema()); END IF; END $$")


def downgrade() -> None:
    for table in ("setl_list", "medins_item_map", "api_lookup_count", "ecert"):
        op.drop_table(table)
    op.drop_index("ix_person_card_no_hash", "person")
    for table, column in (("person", "card_sn_hash"), ("person", "card_no_hash"), ("person", "card_sn_enc"),
                          ("person", "card_no_enc"), ("api_credential", "signature"),
                          ("institution", "lookup_quota"), ("institution", "signature")):
        op.drop_column(table, column)
