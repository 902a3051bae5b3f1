"""What must hold after a fault: computed from the store's rows and the client's own record, never from the
service's code paths."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from tests.faults.load import GENERAL_OUTPATIENT_CAP_FEN, Load, Sent, record
from tongchou.audit.trail import verify as audit_verify
from tongchou.ledger.service import verify as ledger_verify
from tongchou.store.uow import Store


def retry_unanswered(load: Load) -> dict[str, str]:
    """Send every unanswered 2207 again under its msgid, twice: both tries must give the same one answer."""
    answers: dict[str, str] = {}
    hsa = load.client()
    for sent in [s for s in load.sent if s.outcome == "unanswered"]:
        first = hsa.call("2207", sent.input, msgid=sent.msgid)
        second = hsa.call("2207", sent.input, msgid=sent.msgid)
        assert first["_status"] == 200, (sent.msgid, first)
        assert (first["infcode"], _setl_id(first)) == (second["infcode"], _setl_id(second)), (first, second)
        sent.outcome = "acked" if first["infcode"] == 0 else "refused"
        sent.setl_id = _setl_id(first)
        answers[sent.msgid] = sent.outcome
    return answers


def _setl_id(answer: dict) -> str | None:
    return answer["output"]["setlinfo"]["setl_id"] if answer.get("infcode") == 0 else None


def replay_raw(base_url: str, sent: list[Sent]) -> dict[str, int]:
    """Send the exact signed bytes of the first try again: the nonce was claimed before any work, so the
    gate refuses it (401); a request that never reached the gate is answered as its msgid's retry."""
    seen = {"refused_nonce": 0, "answered_as_retry": 0}
    with httpx.Client(base_url=base_url, timeout=15) as http:
        for item in sent:
            response = http.post("/api/hsa/2207", content=item.raw, headers=item.headers)
            if response.status_code == 401:
                seen["refused_nonce"] += 1
                continue
            probe = Sent(item.msgid, item.input, item.raw, item.headers)
            record(probe, response)
            assert (probe.outcome, probe.setl_id) == (item.outcome, item.setl_id), (item.msgid, probe, item)
            seen["answered_as_retry"] += 1
    return seen


def assert_store_consistent(url: str, load: Load) -> None:
    acked = {s.setl_id for s in load.sent if s.outcome == "acked"}
    store = Store.open(url)
    try:
        rows = store.read(lambda s: s.execute(text(
            "SELECT s.setl_id, s.psn_no, s.mdtrt_id, s.hifp_pay, c.setl_id IS NOT NULL AS cancelled "
            "FROM settlement s LEFT JOIN settlement_cancellation c ON c.setl_id = s.setl_id")).all())
        stored = [row.setl_id for row in rows]
        assert acked <= set(stored), f"acknowledged but missing: {sorted(acked - set(stored))[:5]}"
        assert len(stored) == len(set(stored))
        active = [row for row in rows if not row.cancelled]
        visits = [row.mdtrt_id for row in active]
        assert len(visits) == len(set(visits)), "a visit has two active settlements"
        paid: dict[str, int] = {}
        for row in active:
            paid[row.psn_no] = paid.get(row.psn_no, 0) + int(row.hifp_pay)
        assert max(paid.values(), default=0) <= GENERAL_OUTPATIENT_CAP_FEN, paid
        assert_verified(store)
    finally:
        store.close()


def assert_verified(store: Store) -> None:
    """`ledger verify` and `audit verify`, as an operator runs them after a crash or a restore."""
    ledger = ledger_verify(store)
    assert ledger.ok, [(c.name, c.breaches[:3]) for c in ledger.checks if not c.ok]
    trail = audit_verify(store)
    assert trail.ok, trail.message()
