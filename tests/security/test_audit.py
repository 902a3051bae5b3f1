"""The audit trail: append-only, hash-chained; `tongchou audit verify` names the first altered or deleted
record; the console records sign-ins, views, searches, changes and policy publication."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, select, text
from typer.testing import CliRunner

from tests.web.conftest import client_for, csrf_of, sign_in
from tests.web.region import ID_NUMBERS, PASSWORD
from tongchou.audit import trail
from tongchou.audit.models import AuditEvent, AuditHead
from tongchou.cli import app as cli
from tongchou.store.uow import Store

ACTOR = trail.Actor("clerk", "county_clerk", "371525", "10.0.0.7")


@pytest.fixture
def audit_store(db_url):
    store = Store.open(db_url)
    store.transaction(trail.ensure_head)
    yield store
    store.close()


def _fill(store: Store, n: int = 5) -> None:
    for i in range(n):
        trail.AuditTrail(store).record(ACTOR, trail.PERSON_VIEW, object_type="person", object_id=f"GX{i:04d}",
                                       detail={"note": f"查看 371525199001011234 第{i}次"})


def _raw(db_url: str, *statements: str) -> None:
    """Run SQL as the owner with the append-only triggers bypassed (what an attacker with the database
    superuser would do)."""
    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            if db_url.startswith("postgresql"):
                connection.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                for name in ("audit_event_no_update", "audit_event_no_delete", "audit_head_forward"):
                    connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def test_chain_is_intact_and_details_are_scrubbed(audit_store):
    _fill(audit_store)
    verdict = trail.verify(audit_store)
    assert verdict.ok and verdict.checked == 5
    events = audit_store.read(lambda s: list(s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5] and events[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
    assert all("371525199001011234" not in e.detail and "371525********1234" in e.detail for e in events)
    assert events[0].source_ip == "10.0.0.7" and events[0].actor == "clerk"


def test_the_trail_refuses_update_and_delete(audit_store, db_url):
    _fill(audit_store, 2)
    engine = create_engine(db_url)
    try:
        for statement in ("UPDATE audit_event SET actor = 'x' WHERE seq = 1", "DELETE FROM audit_event WHERE seq = 2",
                          "UPDATE audit_head SET seq = 1, hash = 'x' WHERE id = 1", "DELETE FROM audit_head"):
            with pytest.raises(Exception, match="refused|forward"):
                with engine.begin() as connection:
                    connection.execute(text(statement))
    finally:
        engine.dispose()
    assert trail.verify(audit_store).ok


def test_an_altered_record_is_detected(audit_store, db_url):
    _fill(audit_store)
    _raw(db_url, "UPDATE audit_event SET object_id = 'GX9999' WHERE seq = 3")
    verdict = trail.verify(audit_store)
    assert not verdict.ok and verdict.broken_seq == 3 and "改动" in verdict.reason


def test_a_deleted_record_is_detected(audit_store, db_url):
    _fill(audit_store)
    _raw(db_url, "DELETE FROM audit_event WHERE seq = 2")
    verdict = trail.verify(audit_store)
    assert not verdict.ok and verdict.broken_seq == 2 and "删除" in verdict.reason


def test_a_deleted_tail_is_detected(audit_store, db_url):
    _fill(audit_store)
    _raw(db_url, "DELETE FROM audit_event WHERE seq = 5")
    verdict = trail.verify(audit_store)
    assert not verdict.ok and verdict.broken_seq == 5 and "链尾" in verdict.reason


def test_a_rehashed_forgery_is_detected_by_the_next_record(audit_store, db_url):
    """Changing a record AND recomputing its own hash still breaks the next record's link."""
    _fill(audit_store)
    event = audit_store.read(lambda s: s.execute(select(AuditEvent).where(AuditEvent.seq == 2)).scalar_one())
    event.object_id = "GX9999"
    forged = trail.chain_hash(event.prev_hash, event)
    _raw(db_url, f"UPDATE audit_event SET object_id = 'GX9999', hash = '{forged}' WHERE seq = 2")
    verdict = trail.verify(audit_store)
    assert not verdict.ok and verdict.broken_seq == 3


def test_concurrent_writers_keep_one_linear_chain(audit_store):
    errors = []

    def writer(k: int) -> None:
        try:
            for i in range(8):
                trail.AuditTrail(audit_store).record(ACTOR, trail.PERSON_VIEW, object_id=f"{k}-{i}")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    verdict = trail.verify(audit_store)
    assert verdict.ok and verdict.checked == 32
    head = audit_store.read(lambda s: s.get(AuditHead, 1))
    assert head.seq == 32


def test_audit_verify_command(db_url, audit_store):
    _fill(audit_store, 3)
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify", "--db", db_url])
    assert ok.exit_code == 0 and "共3条" in ok.output
    shown = runner.invoke(cli, ["audit", "show", "--db", db_url, "--last", "2"])
    assert shown.exit_code == 0 and "person.view" in shown.output and "371525199001011234" not in shown.output
    _raw(db_url, "UPDATE audit_event SET actor = 'someone-else' WHERE seq = 2")
    broken = runner.invoke(cli, ["audit", "verify", "--db", db_url])
    assert broken.exit_code == 1 and "第2条记录" in broken.output


# ---------------------------------------------------------------- the console writes the trail

def _events(app, **where) -> list[AuditEvent]:
    store = app.state.console.store
    query = select(AuditEvent).order_by(AuditEvent.seq)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return store.read(lambda s: list(s.execute(query).scalars()))


def test_the_console_records_sign_ins_views_changes_and_policies(console):
    client = client_for(console)
    assert sign_in(client, "clerk_a", "wrong-password-1").status_code == 401
    assert sign_in(client, "nobody", "wrong-password-1").status_code == 401
    assert sign_in(client, "clerk_a").status_code == 303
    client.get("/persons/GX0001")
    token = csrf_of(client, "/persons")
    client.post("/persons/search", data={"q": ID_NUMBERS[0], "csrf_token": token})
    client.post("/persons/GX0011/enrol", data={"csrf_token": token, "year": "2018", "paid_on": "2017-12-01"})
    client.post("/persons/GX0001/unmask", data={"csrf_token": token, "reason": "identity_check"})
    client.post("/logout", data={"csrf_token": token})

    failures = _events(console, action=trail.SIGNIN_FAILED)
    assert [(e.actor, e.outcome) for e in failures][:1] == [("clerk_a", "failed")]
    assert failures[1].actor.startswith("unknown:") and "nobody" not in failures[1].actor
    assert all(e.source_ip for e in failures)
    actions = [e.action for e in _events(console, actor="clerk_a")]
    for action in (trail.SIGNIN_OK, trail.PERSON_VIEW, trail.PERSON_SEARCH, trail.PERSON_ENROL, trail.PERSON_UNMASK,
                   trail.SIGNOUT):
        assert action in actions
    unmask = _events(console, action=trail.PERSON_UNMASK)[-1]
    assert unmask.object_id == "GX0001" and "identity_check" in unmask.detail
    assert _events(console, action=trail.POLICY_PUBLISH)  # the policy versions loaded at start
    for event in _events(console):
        for number in ID_NUMBERS:
            assert number not in event.detail and number not in (event.object_id or "")
        assert PASSWORD not in event.detail
    assert trail.verify(console.state.console.store).ok


def test_policy_versions_are_recorded_once(console):
    store, registry = console.state.console.store, console.state.console.registry
    before = len(_events(console, action=trail.POLICY_PUBLISH))
    assert trail.record_policy_versions(store, registry, trail.Actor.command_line()) == 0
    assert len(_events(console, action=trail.POLICY_PUBLISH)) == before
