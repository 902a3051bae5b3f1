"""The API's hot path on PostgreSQL (issue 18): the settlement calls 2207 and 2304 in two round trips,
in the event loop, without the ORM.

A service module of the API (like the `tx_*` handlers, it reads and writes the store for one call); it holds
no rule of its own. For one call:

1. **one read** (`READ_SETTLE`, autocommit, prepared): the nonce claimed (`synchronous_commit` off for that
   statement alone, as `api.security` does), the message already recorded under the msgid, and every fact the
   call needs as JSON — the visit(s) of the mdtrt_id, the person, the institution and the counties' pools, the
   live fee lines and the catalogue versions of their codes, enrolments, filings, filing applications and the
   contribution history, the person's accumulator rows with their row versions (`xmin`), the request key and active settlement, benefit
   suspensions, the screening history and the end of the closed months;
2. in Python, the same functions as the ORM path (`tx_settlement.check_visit_facts`, `rules.billable_from`,
   `SettlementService.decide` → the one `adjudicate`, supervision's `review_history`, `settlement_values`,
   the ledger's `settlement_entry`, the answer of `tx_settlement`);
3. **one write** (`WRITE_SETTLE`, one statement of data-modifying CTEs, its own transaction): the accumulator
   row, written only if its version is still the one read (optimistic: a concurrent settlement or cancellation
   of the person moved it → nothing is written and the call starts again from 1 without claiming the nonce;
   this is what keeps every cap under concurrency), the request key, the active visit, the settlement and its
   fee lines, the journal entry and its postings, the fee lines marked settled (all of them, else
   `tongchou_refuse` rolls the statement back: migration 0020), the admission closed, the message and its
   encrypted answer. A unique violation (the same msgid or visit settled meanwhile) rolls it back too: the
   call reads again and replays the answer or refuses, as the ORM path does.

What the hot path does not take — an employee (310) settlement (personal accounts are locked and summed),
a request key without its message — goes the ORM path in a worker thread. A store limited to a county does
not use it at all (the API's store is city-wide); a store with a `role` runs `SET ROLE` on each connection.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import psycopg
from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool

from tongchou.accumulators import state_json, state_of
from tongchou.api import hospital, identity, messages, tx_fees, tx_registration, tx_settlement
from tongchou.api.envelope import ApiError
from tongchou.api.jsonout import dumps
from tongchou.api.tx_base import Call, Context, Reply
from tongchou.codes import Insutype
from tongchou.enrolment.service import PAID_KINDS, history_of_rows
from tongchou.errors import Conflict, InvalidRequest, Refused
from tongchou.ledger.postings import first_open_day, settlement_entry, settlement_facts
from tongchou.settlement.adjudication import Suspension
from tongchou.settlement.service import Rows, check_key_and_active, fee_item_values, known, outcome_of, \
    settlement_values
from tongchou.store import counting
from tongchou.store import models as m
from tongchou.store.cache import catalogue_in_force
from tongchou.store.uow import TooBusy
from tongchou.visits import rules
from tongchou.visits.service import _own_visit, check_registration, registration_values, upload_plan

HOT = frozenset({"2201", "2204", "2207", "2401", "2301", "2304"})
ATTEMPTS = 12
NONCE_REPLAYED = "请求重放：该 x-tif-nonce 已使用过。"


class NotHere(Exception):
    """The call is not one the hot path takes: the ORM path does it (its nonce is claimed already or not)."""

    def __init__(self, claimed: bool):
        super().__init__("not on the hot path")
        self.claimed = claimed


# ---------------------------------------------------------------- the statements

READ_SETTLE = """
WITH async AS (SELECT set_config('synchronous_commit', 'off', true)),
claimed AS (INSERT INTO api_nonce (fixmedins_code, nonce, expires_at)
            SELECT %(code)s, %(nonce)s, %(expires_at)s FROM async WHERE %(claim)s
            ON CONFLICT DO NOTHING RETURNING nonce),
visits AS (SELECT id, fixmedins_code, mdtrt_id, psn_no, insutype, kind, med_type, ipt_otp_no, begntime, endtime,
                  dise_codg, dise_name, diag_code, oprn_code, status, county
           FROM api_visit WHERE mdtrt_id = %(mdtrt_id)s),
own AS (SELECT * FROM visits WHERE fixmedins_code = %(code)s ORDER BY id LIMIT 1),
live AS (SELECT f.id, f.feedetl_sn, f.init_feedetl_sn, f.chrg_bchno, f.code, f.cnt, f.pric, f.amount,
                f.restriction_met, f.status, f.fee_ocur_time, f.setl_id
         FROM api_fee AS f JOIN own ON f.visit_id = own.id WHERE f.status IN ('uploaded', 'settled')),
person AS (SELECT p.psn_no, p.name, p.id_number_enc, p.id_number_hash, p.card_no_hash, p.sex, p.birth_date,
                  p.county, p.psn_type, p.assistance, p.contribution_years, p.death_date
           FROM person AS p JOIN own ON p.psn_no = own.psn_no),
institution AS (SELECT code, name, hosp_lv, admin_tier, county, agreement_status, agreement_from, agreement_to
                FROM institution WHERE code = %(code)s)
SELECT EXISTS (SELECT 1 FROM claimed) AS claimed, m.infno, m.input_hash, m.status, m.output, m.subject,
  (SELECT json_agg(visits) FROM visits) AS visits,
  (SELECT row_to_json(person) FROM person) AS person,
  (SELECT row_to_json(institution) FROM institution) AS institution,
  (SELECT json_object_agg(c.admdvs, c.pool) FROM county AS c
   WHERE c.admdvs IN (SELECT county FROM own UNION SELECT county FROM person
                      UNION SELECT county FROM institution)) AS pools,
  (SELECT json_agg(live ORDER BY live.id) FROM live) AS fees,
  (SELECT json_agg(json_build_object('code', c.code, 'category', c.category, 'price_cap', c.price_cap,
                                     'selfpay_prop', c.selfpay_prop, 'essential_drug', c.essential_drug,
                                     'restriction', c.restriction, 'effective_from', c.effective_from,
                                     'effective_to', c.effective_to) ORDER BY c.code, c.effective_from)
   FROM catalogue_item AS c WHERE c.code IN (SELECT code FROM live WHERE status = 'uploaded')) AS catalogue,
  (SELECT json_agg(json_build_object('insutype', e.insutype, 'start', e.start, 'end', e."end",
                                     'benefit_start', e.benefit_start, 'tier', e.tier) ORDER BY e.id)
   FROM enrolment AS e JOIN own ON e.psn_no = own.psn_no AND e.insutype = own.insutype) AS enrolments,
  (SELECT json_agg(json_build_object('kind', f.kind, 'dise_code', f.dise_code, 'approved_on', f.approved_on,
                                     'valid_from', f.valid_from, 'valid_to', f.valid_to) ORDER BY f.id)
   FROM filing AS f JOIN own ON f.psn_no = own.psn_no) AS filings,
  (SELECT json_agg(json_build_object('kind', a.kind, 'dise_code', a.dise_code, 'state', a.state,
                                     'received_on', a.received_on, 'decided_on', a.decided_on,
                                     'reason', a.reason) ORDER BY a.id)
   FROM filing_application AS a JOIN own ON a.psn_no = own.psn_no) AS applications,
  (SELECT json_agg(json_build_array(h.what, h.insutype, h.n1, h.n2, h.text, h.d1, h.d2)) FROM (
     SELECT 'line' AS what, l.insutype, l.year AS n1, NULL::int AS n2, l.raw ->> 'month' AS text,
            NULL::date AS d1, NULL::date AS d2
     FROM contribution_line AS l JOIN own ON l.psn_no = own.psn_no
     WHERE l.status = 'accepted' AND l.kind = ANY(%(paid_kinds)s::text[])
     UNION ALL
     SELECT 'recognised', r.insutype, r.total_months, r.continuous_months, r.source, r.ended_on, NULL
     FROM recognised_years AS r JOIN own ON r.psn_no = own.psn_no
     UNION ALL
     SELECT 'transfer', NULL, NULL, NULL, t.direction, t.transfer_date, NULL
     FROM transfer AS t JOIN own ON t.psn_no = own.psn_no) AS h) AS contributions,
  (SELECT json_agg(json_build_object('year', y.year, 'state', y.state, 'settlements', y.settlements,
                                     'version', y.xmin::text))
   FROM year_state AS y JOIN own ON y.psn_no = own.psn_no AND y.insutype = own.insutype) AS year_states,
  (SELECT row_to_json(k) FROM (SELECT kind, request_hash, setl_id FROM request_key WHERE key = %(key)s) AS k)
    AS request_key,
  (SELECT json_agg(a) FROM active_visit AS a
   WHERE a.visit_key = ANY(%(visit_keys)s::text[])
      OR a.visit_key = %(code)s || '|' || %(mdtrt_id)s || '|part '
                       || (SELECT min(id) FROM live WHERE status = 'uploaded')) AS active,
  (SELECT json_agg(json_build_object('psn_no', s.psn_no, 'kind', s.kind, 'valid_from', s.valid_from,
                                     'valid_to', s.valid_to, 'reason', s.reason) ORDER BY s.id)
   FROM sv_benefit_suspension AS s JOIN own ON s.psn_no = own.psn_no) AS suspensions,
  (SELECT json_agg(json_build_object(
            'setl_id', s.setl_id, 'fixmedins_code', s.fixmedins_code, 'mdtrt_id', s.mdtrt_id,
            'med_type', s.med_type, 'begndate', s.begndate, 'enddate', s.enddate, 'dise_code', s.dise_code,
            'medfee_sumamt', s.medfee_sumamt,
            'codes', (SELECT json_agg(i.code) FROM fee_item AS i WHERE i.setl_id = s.setl_id),
            'begntime', (SELECT v.begntime FROM api_visit AS v WHERE v.psn_no = s.psn_no
                         AND v.fixmedins_code = s.fixmedins_code AND v.mdtrt_id = s.mdtrt_id LIMIT 1)))
   FROM settlement AS s JOIN own ON s.psn_no = own.psn_no
   WHERE s.enddate >= own.begntime::date - %(lookback)s::int
     AND s.setl_id NOT IN (SELECT setl_id FROM settlement_cancellation)) AS history,
  (SELECT max(period_end) FROM ledger_close) AS closed_to,
  (SELECT row_to_json(x) FROM (SELECT psn_no, fixmedins_code, mdtrt_id FROM ecert WHERE serial = %(serial)s) AS x)
    AS ecert
FROM (SELECT 1) AS one
LEFT JOIN api_message AS m ON m.fixmedins_code = %(code)s AND m.msgid = %(msgid)s
"""


_MESSAGE = """
SELECT EXISTS (SELECT 1 FROM claimed) AS claimed, m.infno, m.input_hash, m.status, m.output, m.subject"""
_CLAIM = """
WITH async AS (SELECT set_config('synchronous_commit', 'off', true)),
claimed AS (INSERT INTO api_nonce (fixmedins_code, nonce, expires_at)
            SELECT %(code)s, %(nonce)s, %(expires_at)s FROM async WHERE %(claim)s
            ON CONFLICT DO NOTHING RETURNING nonce)"""
_FROM_MESSAGE = """
FROM (SELECT 1) AS one
LEFT JOIN api_message AS m ON m.fixmedins_code = %(code)s AND m.msgid = %(msgid)s
"""

READ_REGISTER = _CLAIM + _MESSAGE + """,
  (SELECT row_to_json(p) FROM (SELECT psn_no, county, id_number_hash, card_no_hash FROM person
                               WHERE psn_no = %(psn_no)s) AS p) AS person,
  EXISTS (SELECT 1 FROM enrolment WHERE psn_no = %(psn_no)s AND insutype = %(insutype)s) AS enrolled,
  (SELECT mdtrt_id FROM api_visit WHERE fixmedins_code = %(code)s AND psn_no = %(psn_no)s AND kind = 'inpatient'
   AND status = 'open' LIMIT 1) AS open_admission""" + _FROM_MESSAGE

READ_UPLOAD = _CLAIM + """,
visits AS (SELECT id, fixmedins_code, mdtrt_id, psn_no, insutype, kind, med_type, begntime, endtime, dise_codg,
                  status, county, xmin::text AS version
           FROM api_visit WHERE mdtrt_id = %(mdtrt_id)s),
own AS (SELECT * FROM visits WHERE fixmedins_code = %(code)s ORDER BY id LIMIT 1),
maps AS (SELECT medins_list_codg, hilist_code, begndate, enddate FROM medins_item_map
         WHERE fixmedins_code = %(code)s AND status = %(active)s AND medins_list_codg = ANY(%(own_codes)s::text[]))
""" + _MESSAGE + """,
  (SELECT json_agg(visits) FROM visits) AS visits,
  (SELECT json_agg(f ORDER BY f.id) FROM (
     SELECT f.id, f.feedetl_sn, f.init_feedetl_sn, f.chrg_bchno, f.code, f.cnt, f.pric, f.amount, f.restriction_met,
            f.status, f.fee_ocur_time, f.setl_id
     FROM api_fee AS f JOIN own ON f.visit_id = own.id) AS f) AS fees,
  (SELECT json_agg(maps) FROM maps) AS maps,
  (SELECT json_agg(c ORDER BY c.code, c.effective_from) FROM catalogue_item AS c
   WHERE c.code = ANY(%(codes)s::text[]) OR c.code IN (SELECT hilist_code FROM maps)) AS catalogue""" + _FROM_MESSAGE


def _columns(table: Any, leave_out: tuple[str, ...]) -> str:
    return ", ".join(f'"{c.name}"' for c in table.columns if c.name not in leave_out)


_SETTLEMENT_COLUMNS = _columns(m.Settlement.__table__, ("id", "created_at"))
_FEE_ITEM_COLUMNS = _columns(m.FeeItem.__table__, ("id", "visit_id"))
_FEE_ITEM_VALUES = ", ".join(f"r.{c}" for c in _FEE_ITEM_COLUMNS.split(", "))

WRITE_SETTLE = f"""
WITH ys AS (
  INSERT INTO year_state AS y (psn_no, insutype, year, county, state, settlements)
  VALUES (%(psn_no)s, %(insutype)s, %(year)s, %(county)s, %(state)s::json, 1)
  ON CONFLICT (psn_no, insutype, year) DO UPDATE SET state = EXCLUDED.state, settlements = y.settlements + 1
  WHERE y.xmin::text = %(version)s
  RETURNING y.settlements),
rk AS (INSERT INTO request_key (key, kind, request_hash, setl_id)
       SELECT %(key)s, 'settlement', %(request_hash)s, %(setl_id)s FROM ys),
av AS (INSERT INTO active_visit (visit_key, setl_id) SELECT %(visit_key)s, %(setl_id)s FROM ys),
sv AS (INSERT INTO visit AS v (fixmedins_code, mdtrt_id, psn_no, insutype, med_type, begndate, enddate, dise_code,
                               county)
       SELECT %(code)s, %(mdtrt_id)s, %(psn_no)s, %(insutype)s, %(med_type)s, %(begndate)s, %(enddate)s,
              %(dise_code)s, %(county)s FROM ys
       ON CONFLICT (fixmedins_code, mdtrt_id) DO UPDATE SET mdtrt_id = EXCLUDED.mdtrt_id
       RETURNING v.id, v.psn_no),
st AS (INSERT INTO settlement ({_SETTLEMENT_COLUMNS})
       SELECT {_SETTLEMENT_COLUMNS} FROM json_populate_record(NULL::settlement, %(settlement)s::json), ys),
fi AS (INSERT INTO fee_item (visit_id, {_FEE_ITEM_COLUMNS})
       SELECT sv.id, {_FEE_ITEM_VALUES} FROM sv, json_populate_recordset(NULL::fee_item, %(fee_items)s::json) AS r),
je AS (INSERT INTO journal_entry (cause_type, cause_id, county, booked_on, memo)
       SELECT %(cause_type)s, %(cause_id)s, %(entry_county)s, %(booked_on)s, %(memo)s FROM ys RETURNING id),
po AS (INSERT INTO posting (entry_id, fund, title, county, party, debit, credit)
       SELECT je.id, r.fund, r.title, r.county, r.party, r.debit, r.credit
       FROM je, json_populate_recordset(NULL::posting, %(postings)s::json) AS r),
fs AS (UPDATE api_fee SET status = 'settled', setl_id = %(setl_id)s
       WHERE id = ANY(%(fee_ids)s::bigint[]) AND status = 'uploaded' AND EXISTS (SELECT 1 FROM ys) RETURNING id),
cv AS (UPDATE api_visit SET status = 'discharged', endtime = %(endtime)s
       WHERE id = %(visit_id)s AND status = 'open' AND %(close)s AND EXISTS (SELECT 1 FROM ys)),
ms AS (INSERT INTO api_message (fixmedins_code, msgid, infno, input_hash, status, output, subject)
       SELECT %(code)s, %(msgid)s, %(infno)s, %(input_hash)s, 'done', %(output)s, %(setl_id)s FROM ys)
SELECT EXISTS (SELECT 1 FROM ys) AS done,
  (SELECT tongchou_refuse('fees_changed') FROM ys WHERE (SELECT count(*) FROM fs) <> %(fee_count)s) AS fees_guard,
  (SELECT tongchou_refuse('visit_of_other_person') FROM sv WHERE sv.psn_no <> %(psn_no)s) AS visit_guard
"""


_VISIT_COLUMNS = _columns(m.ApiVisit.__table__, ("id", "endtime"))
_FEE_COLUMNS = _columns(m.ApiFee.__table__, ("id",))
_INSERT_MESSAGE = """INSERT INTO api_message (fixmedins_code, msgid, infno, input_hash, status, output, subject)"""

WRITE_REGISTER = f"""
WITH v AS (INSERT INTO api_visit ({_VISIT_COLUMNS})
           SELECT {_VISIT_COLUMNS} FROM json_populate_record(NULL::api_visit, %(visit)s::json) RETURNING id)
{_INSERT_MESSAGE}
SELECT %(code)s, %(msgid)s, %(infno)s, %(input_hash)s, 'done', %(output)s, %(subject)s FROM v
RETURNING true AS done
"""

WRITE_UPLOAD = f"""
WITH g AS (UPDATE api_visit SET dise_codg = COALESCE(%(dise_codg)s, dise_codg)
           WHERE id = %(visit_id)s AND xmin::text = %(version)s RETURNING id),
f AS (INSERT INTO api_fee ({_FEE_COLUMNS})
      SELECT {", ".join("r." + c for c in _FEE_COLUMNS.split(", "))}
      FROM json_populate_recordset(NULL::api_fee, %(rows)s::json) AS r, g),
ms AS ({_INSERT_MESSAGE} SELECT %(code)s, %(msgid)s, %(infno)s, %(input_hash)s, 'done', %(output)s, NULL FROM g)
SELECT EXISTS (SELECT 1 FROM g) AS done
"""


# ---------------------------------------------------------------- JSON of the read, typed as the ORM gives it

def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _moment(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _typed(row: dict[str, Any] | None, dates: tuple[str, ...] = (), moments: tuple[str, ...] = ()) -> Any:
    if row is None:
        return None
    for name in dates:
        row[name] = _date(row.get(name))
    for name in moments:
        row[name] = _moment(row.get(name))
    return SimpleNamespace(**row)


def _loads(text: str | bytes) -> Any:
    """JSON of the read with its numbers as the ORM path reads the columns: numerics as Decimal, never float."""
    return json.loads(text, parse_float=Decimal)


def _default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _param(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_default, separators=(",", ":"))


# ---------------------------------------------------------------- the hot path

@dataclass
class Plan:
    """What one call computed between its read and its write."""

    write: str
    params: dict[str, Any]
    output: Any
    warn: str | None = None


class HotPath:
    """The settlement calls on PostgreSQL: an async pool of autocommit connections, two statements a call."""

    def __init__(self, conninfo: str, context: Context, *, size: int = 8, role: str | None = None,
                 window: int = 300):
        self.conninfo = conninfo
        self.context = context
        self.size = size
        self.role = role
        self.window = window
        self._pool: AsyncConnectionPool | None = None
        self._opening: asyncio.Lock | None = None

    @staticmethod
    def takes(infno: str, call_input: Any) -> bool:
        """Whether the hot path takes this call (decided before its nonce is claimed): the calls of the two
        flows, but an employee's settlement and a visit opened with an e-certificate."""
        if infno in ("2207", "2304"):
            return call_input.data.insutype != Insutype.EMPLOYEE
        if infno in ("2201", "2401"):
            node = call_input.data if infno == "2201" else call_input.mdtrtinfo
            return node.mdtrt_cert_type in (identity.ID_CARD, identity.SOCIAL_CARD)
        return infno in ("2204", "2301")

    async def _configure(self, connection: psycopg.AsyncConnection) -> None:
        """Each pooled connection: JSON with decimals; generic plans for the prepared statements (planning these
        CTEs costs more than running them, and every parameter is a key: a custom plan gains nothing)."""
        set_json_loads(_loads, connection)
        await connection.execute("SET plan_cache_mode = force_generic_plan")
        if self.role:
            await connection.execute(f'SET ROLE "{self.role}"')

    async def pool(self) -> AsyncConnectionPool:
        if self._pool is None:
            if self._opening is None:
                self._opening = asyncio.Lock()
            async with self._opening:
                if self._pool is None:
                    pool = AsyncConnectionPool(self.conninfo, min_size=1, max_size=self.size, open=False,
                                               timeout=10,
                                               kwargs={"autocommit": True, "prepare_threshold": 0},
                                               configure=self._configure)
                    await pool.open()
                    self._pool = pool
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _one(self, query: str, params: dict[str, Any]) -> dict[str, Any]:
        """One prepared statement on a pooled connection; once more on a new connection when the server had
        dropped the pooled one (a restart)."""
        pool = await self.pool()
        for attempt in (1, 2):
            try:
                async with pool.connection() as connection:
                    cursor = await connection.execute(query, params, prepare=True)
                    counting.add()
                    names = [column.name for column in cursor.description]
                    return dict(zip(names, await cursor.fetchone()))
            except psycopg.OperationalError:
                if attempt == 2:
                    raise
                await pool.check()
        raise AssertionError("unreachable")

    async def serve(self, call: Call, nonce: str, now: float) -> Reply:
        """One call of the flows: the nonce claimed with the read; NotHere(claimed) for what the ORM path must do."""
        read, params, plan = self._call_of(call)
        params = {**params, "code": call.code, "nonce": nonce, "expires_at": int(now) + self.window,
                  "msgid": call.msgid}
        claim = True
        for attempt in range(ATTEMPTS):
            facts = await self._one(read, {**params, "claim": claim})
            if claim and not facts["claimed"]:
                raise ApiError(NONCE_REPLAYED, "x-tif-nonce", 401)
            claim = False
            if facts["infno"] is not None:
                stored = messages.stored_of(SimpleNamespace(**{k: facts[k] for k in (
                    "infno", "input_hash", "status", "output", "subject")}), self.context.cipher)
                return Reply(messages.replay(stored, call.infno, call.input_hash))
            planned = plan(call, facts)
            try:
                done = await self._one(planned.write, planned.params)
            except psycopg.errors.UniqueViolation:
                continue  # the msgid (or the visit, or a line) recorded meanwhile: read again
            except psycopg.errors.RaiseException as exc:
                raise _refusal(str(exc), planned.params.get("mdtrt_id", "")) from None
            if done["done"]:
                return Reply(planned.output, planned.warn)
            await asyncio.sleep(min(0.005 * 2 ** attempt, 0.2) * random.random())  # the row read moved
        raise TooBusy(f"hot path: {call.infno} failed {ATTEMPTS} times on a moving row")

    def _call_of(self, call: Call) -> tuple[str, dict[str, Any], Any]:
        """The read statement of the call, its parameters, and the plan between the read and the write."""
        if call.infno in ("2207", "2304"):
            data = call.input.data
            cert = identity.Certificate(data.mdtrt_cert_type, data.mdtrt_cert_no)
            serial = identity.ecert_serial(self.context.cipher, cert.number) if cert.kind == identity.ECERT else None
            prefix = f"{call.code}|{data.mdtrt_id}"
            chrg_bchno = getattr(data, "chrg_bchno", None)
            params = {"mdtrt_id": data.mdtrt_id, "key": call.key, "serial": serial or "", "paid_kinds": list(PAID_KINDS),
                      "visit_keys": [prefix] + ([f"{prefix}|{chrg_bchno}"] if chrg_bchno else []),
                      "lookback": self._lookback()}
            return READ_SETTLE, params, lambda c, facts: self._plan(c, facts, c.infno == "2304", cert)
        if call.infno in ("2201", "2401"):
            registration, node = tx_registration.registration_of(self.context, call)
            return READ_REGISTER, {"psn_no": registration.psn_no, "insutype": registration.insutype}, \
                lambda c, facts: self._plan_registration(c, facts, registration, node)
        first = tx_fees.same_visit(call)
        lines = tx_fees.catalogue_lines(call)
        return READ_UPLOAD, {"mdtrt_id": first.mdtrt_id, "active": hospital.ACTIVE,
                             "own_codes": sorted({c for sent, medins, _day in lines for c in (sent, medins)}),
                             "codes": sorted({sent for sent, _medins, _day in lines})}, \
            lambda c, facts: self._plan_upload(c, facts, first, lines)

    def _lookback(self) -> int:
        hook = self.context.settlements.supervision
        return getattr(hook, "lookback_days", 0)

    def _plan(self, call: Call, facts: dict[str, Any], inpatient: bool, cert: identity.Certificate) -> Plan:
        """Everything between the read and the write: the checks, the adjudication, the rows and the answer."""
        ctx = self.context
        service = ctx.settlements
        data = call.input.data
        visit = _own_visit([_typed(v, moments=("begntime", "endtime")) for v in facts["visits"] or []],
                           call.code, data.mdtrt_id, data.psn_no)
        rules.require_open(visit)
        rules.require_kind(visit, rules.INPATIENT if inpatient else "outpatient")
        person = _typed(facts["person"], dates=("birth_date", "death_date"))
        institution = _typed(facts["institution"], dates=("agreement_from", "agreement_to"))
        pools = facts["pools"] or {}
        if cert.kind == identity.ECERT:
            matches = identity.ecert_matches(_typed(facts["ecert"]), visit.psn_no, call.code, visit.mdtrt_id)
        elif cert.kind in (identity.ID_CARD, identity.SOCIAL_CARD):
            stored = person.id_number_hash if cert.kind == identity.ID_CARD else person.card_no_hash
            matches = identity.hash_matches(ctx.cipher, cert, stored)
        else:
            raise InvalidRequest("mdtrt_cert_type", "就诊凭证类型应为01（电子凭证）、02（身份证）或03（社保卡）。")
        tx_settlement.check_visit_facts(
            call, visit, matches, tx_settlement.regions_of(visit.county, pools.get(visit.county)),
            tx_settlement.regions_of(institution.county, pools.get(institution.county)) if institution else ())
        live = [_typed(f, moments=("fee_ocur_time",)) for f in facts["fees"] or []]
        bill = rules.billable_from(live, visit.mdtrt_id, None if inpatient else data.chrg_bchno)
        tx_settlement.check_total(data, bill)
        req = tx_settlement._request(call, data, visit, bill, inpatient)

        # the settlement service's steps (SettlementService.settle_in), from the facts read
        known(req, person, institution)
        versions: dict[str, list[Any]] = {}
        for row in facts["catalogue"] or []:
            row = _typed(row, dates=("effective_from", "effective_to"))
            versions.setdefault(row.code, []).append(row)
        codes = {line.code for line in req.items}
        enrolments = [_typed(e, dates=("start", "end", "benefit_start")) for e in facts["enrolments"] or []]
        cover = [(e.start, e.end) for e in enrolments] if req.insutype == Insutype.RESIDENT else []
        rows = Rows(person, institution, pools.get(person.county, person.county),
                    enrolments,
                    [_typed(f, dates=("approved_on", "valid_from", "valid_to")) for f in facts["filings"] or []],
                    catalogue_in_force({c: v for c, v in versions.items() if c in codes}, req.enddate)
                    if req.items else {},
                    [_typed(a, dates=("received_on", "decided_on")) for a in facts["applications"] or []],
                    history_of_rows([(what, person.psn_no, insutype, n1, n2, text, _date(d1), _date(d2))
                                     for what, insutype, n1, n2, text, d1, d2 in facts["contributions"] or []],
                                    person.contribution_years or 0, cover))
        year = next((y for y in facts["year_states"] or [] if y["year"] == req.enddate.year), None)
        active = [a for a in facts["active"] or [] if a["visit_key"] == req.visit_key]
        if check_key_and_active(req, _typed(facts["request_key"]), _typed(active[0]) if active else None):
            raise NotHere(claimed=True)  # a key settled without its message (not an API settlement): ORM path
        state = state_of((year or {}).get("state") or {})
        hook = service.supervision
        suspensions: tuple[Suspension, ...] = ()
        review = None
        if hook is not None:
            suspensions = tuple(Suspension(s["psn_no"], s["kind"], _date(s["valid_from"]), _date(s["valid_to"]),
                                           s["reason"]) for s in facts["suspensions"] or [])
            history = _history(facts["history"] or [], (req.fixmedins_code, req.mdtrt_id), hook)
            review = lambda sctx, adjudication: hook.review_history(req, sctx.person, adjudication.items, history)
        sctx, adjudication, warnings = service.decide(req, rows, state, req.setl_id, suspensions, None, review)
        values = settlement_values(req, sctx, adjudication)
        setl_id = values["setl_id"]
        county = sctx.person.county
        booked_on = first_open_day(_date(facts["closed_to"]), values["enddate"])
        entry = settlement_entry(settlement_facts(SimpleNamespace(**values), booked_on))
        outcome = outcome_of(adjudication.settlement, warnings=warnings)
        output = tx_settlement._settlement_output(ctx, person, call, req, outcome, setl_id, inpatient)
        close = inpatient and data.mid_setl_flag != "1"
        params = {
            "psn_no": req.psn_no, "insutype": req.insutype, "year": req.enddate.year, "county": county,
            "state": _param(state_json(adjudication.state_after, req.enddate.year)),
            "version": year["version"] if year else "",
            "key": req.key, "request_hash": values["request_hash"], "setl_id": setl_id, "visit_key": req.visit_key,
            "code": req.fixmedins_code, "mdtrt_id": req.mdtrt_id, "med_type": req.med_type,
            "begndate": req.begndate, "enddate": req.enddate, "dise_code": req.dise_code,
            "settlement": _param(values),
            "fee_items": _param([{k: v for k, v in item.items() if k != "visit_id"}
                                 for item in fee_item_values(req, adjudication, 0, setl_id, county)]),
            "cause_type": entry.cause_type, "cause_id": entry.cause_id, "entry_county": entry.county,
            "booked_on": entry.booked_on, "memo": entry.memo,
            "postings": _param([{"fund": str(line.account.fund), "title": str(line.account.title),
                                 "county": line.account.county, "party": line.account.party, "debit": line.debit,
                                 "credit": line.credit} for line in entry.lines]),
            "fee_ids": list(bill.fee_ids), "fee_count": len(bill.fee_ids),
            "visit_id": visit.id, "close": close, "endtime": dt.datetime.combine(req.enddate, dt.time()),
            "msgid": call.msgid, "infno": call.infno, "input_hash": call.input_hash,
            "output": ctx.cipher.encrypt(dumps(output).decode("utf-8"), messages.OUTPUT_COLUMN),
        }
        return Plan(WRITE_SETTLE, params, output, tx_settlement._warnings(data, outcome))


def _registration_plan(self: HotPath, call: Call, facts: dict[str, Any], registration: Any, node: Any) -> Plan:
    """2201 / 2401: the checks of `visits.register` and of the opening certificate (an ID card or card: the
    hot path takes no e-certificate), the new visit and the answer."""
    person = _typed(facts["person"])
    check_registration(registration, person, facts["enrolled"], facts["open_admission"])
    cert = identity.Certificate(node.mdtrt_cert_type, node.mdtrt_cert_no)
    stored = person.id_number_hash if cert.kind == identity.ID_CARD else person.card_no_hash
    if not identity.hash_matches(self.context.cipher, cert, stored):
        raise Refused(identity.CERT_FIELD, "就诊凭证不属于本次就诊的参保人。", "certificate_mismatch")
    values = registration_values(call.code, registration, person.county)
    output = tx_registration.registration_output(call.infno, SimpleNamespace(**values))
    return Plan(WRITE_REGISTER, {
        "visit": _param(values), "code": call.code, "msgid": call.msgid, "infno": call.infno,
        "input_hash": call.input_hash, "subject": values["mdtrt_id"],
        "output": self.context.cipher.encrypt(dumps(output).decode("utf-8"), messages.OUTPUT_COLUMN)}, output)


def _upload_plan(self: HotPath, call: Call, facts: dict[str, Any], first: Any, lines: list[Any]) -> Plan:
    """2204 / 2301: the codes by the institution's map, the visit, `visits.upload_plan`, the answer."""
    maps = [_typed(row, dates=("begndate", "enddate")) for row in facts["maps"] or []]
    codes = hospital.codes_by_maps(maps, lines)
    upload = tx_fees.upload_lines(self.context, call, codes)
    visit = _own_visit([_typed(v, moments=("begntime", "endtime")) for v in facts["visits"] or []],
                       call.code, first.mdtrt_id, first.psn_no)
    tx_fees.check_kind(visit, call.infno == "2204")
    versions: dict[str, list[Any]] = {}
    for row in facts["catalogue"] or []:
        row = _typed(row, dates=("effective_from", "effective_to"))
        versions.setdefault(row.code, []).append(row)
    existing = [_typed(f, moments=("fee_ocur_time",)) for f in facts["fees"] or []]
    rows, results, disease = upload_plan(
        visit, upload, existing,
        lambda wanted, day: catalogue_in_force({c: v for c, v in versions.items() if c in wanted}, day),
        self.context.line_tolerance)
    output = tx_fees.upload_output(results)
    return Plan(WRITE_UPLOAD, {
        "visit_id": visit.id, "version": visit.version, "dise_codg": disease, "rows": _param(rows),
        "code": call.code, "msgid": call.msgid, "infno": call.infno, "input_hash": call.input_hash,
        "output": self.context.cipher.encrypt(dumps(output).decode("utf-8"), messages.OUTPUT_COLUMN),
        "mdtrt_id": first.mdtrt_id}, output)


HotPath._plan_registration = _registration_plan
HotPath._plan_upload = _upload_plan


def _history(rows: list[dict[str, Any]], exclude: tuple[str, str], hook: Any) -> list[Any]:
    from tongchou.supervision.service import past_visits

    kept = [_typed(r, dates=("begndate", "enddate"), moments=("begntime",)) for r in rows
            if (r["fixmedins_code"], r["mdtrt_id"]) != exclude]
    codes = [(r.setl_id, code) for r in kept for code in (r.codes or [])]
    times = {(r.fixmedins_code, r.mdtrt_id): r.begntime for r in kept}
    return past_visits(kept, codes, times, hook.book)


def _refusal(message: str, mdtrt_id: str) -> Exception:
    if "tongchou_refuse:fees_changed" in message:
        return Conflict("mdtrt_id", "结算期间费用明细发生了变化，请重新结算。", "fees_changed")
    if "tongchou_refuse:visit_of_other_person" in message:
        return Conflict("mdtrt_id", f"就诊{mdtrt_id}属于另一参保人。", "visit_of_other_person")
    return RuntimeError(message)
