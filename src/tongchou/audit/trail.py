"""Writing and verifying the hash-chained audit trail.

An event's canonical content is the JSON (sorted keys, no spaces, UTF-8) of its fields other than `id`,
`prev_hash` and `hash`; `at` is written as UTC ISO-8601 with microseconds. Its hash is
SHA-256(prev_hash ‖ canonical). `append` locks the head row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's
BEGIN IMMEDIATE already serialises writers), so concurrent writers keep one linear chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongchou.clock import Clock, as_utc, utc_now
from tongchou.masking import scrub
from tongchou.audit.models import GENESIS, AuditEvent, AuditHead
from tongchou.store.uow import Store

HEAD_ID = 1

# actions (the `action` column); new ones may be added, these are the ones the system writes
SIGNIN_OK, SIGNIN_FAILED, SIGNOUT = "signin.success", "signin.failure", "signout"
PERSON_VIEW, PERSON_SEARCH, PERSON_UNMASK = "person.view", "person.search", "person.unmask"
SETTLEMENT_VIEW = "settlement.view"
PERSON_ENROL, PERSON_FILE, REIMBURSE = "person.enrol", "person.file", "reimbursement.manual"
EXPORT_CLAIMS = "export.claims"
POLICY_PUBLISH = "policy.publish"
KEYS_ROTATE = "keys.rotate"


@dataclass(frozen=True)
class Actor:
    """Who acts: a console user (name, role, county), or the command line / a service."""

    name: str
    role: str | None = None
    county: str | None = None
    ip: str | None = None

    @classmethod
    def of(cls, principal, ip: str | None = None) -> Actor:
        return cls(principal.username, principal.role.name, principal.county, ip)

    @classmethod
    def command_line(cls) -> Actor:
        return cls(f"cli:{os.environ.get('USER') or os.environ.get('USERNAME') or 'unknown'}", "operator")


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    return scrub(str(value))[:limit]


def _clean(value: Any) -> Any:
    """JSON-able detail with every string scrubbed of ID and phone numbers."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_clean(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return scrub(str(value))


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _at_text(at: dt.datetime) -> str:
    return as_utc(at).isoformat(timespec="microseconds")


def canonical(event: AuditEvent) -> str:
    return canonical_json({
        "seq": int(event.seq), "at": _at_text(event.at), "actor": event.actor, "actor_role": event.actor_role,
        "actor_county": event.actor_county, "action": event.action, "object_type": event.object_type,
        "object_id": event.object_id, "source_ip": event.source_ip, "outcome": event.outcome,
        "detail": event.detail,
    })


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode("utf-8")).hexdigest()


def ensure_head(session: Session) -> AuditHead:
    """The head row, inserted when missing (a database whose tables were emptied by their owner)."""
    return _head(session)


def _head(session: Session) -> AuditHead:
    query = select(AuditHead).where(AuditHead.id == HEAD_ID)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    head = session.execute(query, execution_options={"populate_existing": True}).scalar_one_or_none()
    if head is None:  # the migration inserts it; a metadata-created schema (tests of other packages) may not
        head = AuditHead(id=HEAD_ID, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
    return head


def append(session: Session, actor: Actor, action: str, *, object_type: str | None = None,
           object_id: str | None = None, outcome: str = "ok", detail: Mapping[str, Any] | None = None,
           now: Clock = utc_now) -> AuditEvent:
    """Add one event to the chain in the caller's transaction (it commits or rolls back with the change)."""
    head = _head(session)
    event = AuditEvent(
        seq=head.seq + 1, at=as_utc(now()).replace(tzinfo=dt.timezone.utc), actor=_text(actor.name, 100) or "?",
        actor_role=_text(actor.role, 40), actor_county=_text(actor.county, 6), action=action[:60],
        object_type=_text(object_type, 40), object_id=_text(object_id, 200), source_ip=_text(actor.ip, 64),
        outcome=outcome[:20], detail=canonical_json(_clean(detail or {})), prev_hash=head.hash)
    event.hash = chain_hash(head.hash, event)
    session.add(event)
    head.seq, head.hash = event.seq, event.hash
    session.flush()
    return event


class AuditTrail:
    """Records events in their own transaction (views, sign-ins) against `store`."""

    def __init__(self, store: Store, now: Clock = utc_now):
        self.store = store
        self.now = now

    def record(self, actor: Actor, action: str, **fields: Any) -> None:
        self.store.transaction(lambda s: append(s, actor, action, now=self.now, **fields))

    def hook(self, actor: Actor, action: str, **fields: Any) -> Callable[[Session], None]:
        """A callable writing the event in a given session (for a service's `after` hook)."""
        return lambda session: append(session, actor, action, now=self.now, **fields)


# ---------------------------------------------------------------- verification

@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""

    def message(self) -> str:
        if self.ok:
            return f"审计链完整：共{self.checked}条记录，逐条哈希校验通过。"
        where = f"第{self.broken_seq}条记录" + (f"（id={self.broken_id}）" if self.broken_id is not None else "")
        return f"审计链已被破坏：{where}——{self.reason}"


def verify_events(events: Iterable[AuditEvent], head: AuditHead | None) -> Verdict:
    expected_seq, prev, checked = 1, GENESIS, 0
    for event in events:
        if event.seq != expected_seq:
            return Verdict(False, checked, expected_seq, event.id,
                           f"缺少序号{expected_seq}至{event.seq - 1}的记录（被删除？），下一条为序号{event.seq}")
        if event.prev_hash != prev:
            return Verdict(False, checked, event.seq, event.id, "前一记录哈希不符（前一记录被删除或改动）")
        if chain_hash(prev, event) != event.hash:
            return Verdict(False, checked, event.seq, event.id, "记录内容与其哈希不符（记录被改动）")
        prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    last = expected_seq - 1
    if head is not None and (head.seq != last or head.hash != prev):
        if head.seq > last:
            return Verdict(False, checked, last + 1, None, f"链尾记录缺失：链头记为序号{head.seq}，实存至序号{last}")
        return Verdict(False, checked, head.seq, None, "链头与最后一条记录不符")
    return Verdict(True, checked)


def verify(store: Store, batch: int = 2000) -> Verdict:
    """Walk the whole chain in sequence order; the first broken record is named."""
    def work(session: Session) -> Verdict:
        head = session.get(AuditHead, HEAD_ID)
        events = session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch))
        return verify_events(events.scalars(), head)
    return store.read(work)


def recent(store: Store, limit: int = 50, action: str | None = None) -> list[AuditEvent]:
    def work(session: Session) -> list[AuditEvent]:
        query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(session.execute(query).scalars())
    return store.read(work)


# ---------------------------------------------------------------- policy versions

def policy_fingerprints(registry) -> list[dict[str, Any]]:
    """(policy id, version, effective dates, SHA-256 of the file) for every version of every policy."""
    rows = []
    for policy_id, policy in sorted(registry.policies.items()):
        path = registry.files.get(policy_id)
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path is not None and path.is_file() else None
        for version in policy.versions:
            rows.append({"policy_id": policy_id, "version": version.version, "file_sha256": digest,
                         "effective_from": str(version.effective_from), "effective_to": str(version.effective_to),
                         "file": path.name if path is not None else None})
    return rows


def record_policy_versions(store: Store, registry, actor: Actor, now: Clock = utc_now) -> int:
    """Publication = the policy file as the service loads it. Record a `policy.publish` event for every
    (policy id, version, file hash) the trail has not seen before; returns how many were new."""
    rows = policy_fingerprints(registry)

    def work(session: Session) -> int:
        seen = set(session.execute(select(AuditEvent.object_id).where(AuditEvent.action == POLICY_PUBLISH)).scalars())
        new = 0
        for row in rows:
            object_id = f"{row['policy_id']}@{row['version']}#{(row['file_sha256'] or '')[:16]}"
            if object_id in seen:
                continue
            append(session, actor, POLICY_PUBLISH, object_type="policy_version", object_id=object_id, detail=row,
                   now=now)
            new += 1
        return new
    return store.transaction(work)
