"""Data-key rotation: re-encrypt every encrypted column under the current key, in batches.

`rotate(store, cipher)` walks each encrypted column (persons' ID numbers, phones and addresses, the values
of their changes, bank account numbers for payments (代发), institutions' API secrets, the API's older credentials), a batch of rows per transaction, and re-seals every value
not yet under `cipher`'s current key; `cipher` must still read the old values (`DataCipher.rotated`
or `TONGCHOU_PREVIOUS_DATA_KEYS`). It can be interrupted and run again: done rows are skipped. The
look-up hashes are not touched (they derive from the separate look-up key). Each run is recorded in
the audit trail (`keys.rotate`: key ids and counts, never a key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongchou.store import models as m
from tongchou.store.crypto import DataCipher
from tongchou.store.uow import Store

# (model, primary key attribute, encrypted attribute, the column name bound as associated data)
COLUMNS = (
    (m.Person, "psn_no", "id_number_enc", "person.id_number"),
    (m.Person, "psn_no", "phone_enc", "person.phone"),
    (m.Person, "psn_no", "address_enc", "person.address"),
    (m.Person, "psn_no", "card_no_enc", "person.card_no"),
    (m.Person, "psn_no", "card_sn_enc", "person.card_sn"),
    (m.PersonChange, "id", "old_enc", "person_change.value"),
    (m.PersonChange, "id", "new_enc", "person_change.value"),
    (m.Institution, "code", "secret_enc", "institution.secret"),
    (m.ApiCredential, "id", "secret_enc", "institution.secret"),
    (m.BankAccount, "id", "account_no_enc", "bank_account.account_no"),
    (m.Payment, "id", "account_no_enc", "payment.account_no"),
)


@dataclass
class RotationReport:
    key_id: str
    rewritten: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rewritten.values())


def key_census(store: Store, cipher: DataCipher) -> dict[str, dict[str, int]]:
    """For each encrypted column: how many values each key id seals (`v1` = legacy, no key id)."""
    def work(session: Session) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for model, _pk, attr, column in COLUMNS:
            counts: dict[str, int] = {}
            for token in session.execute(select(getattr(model, attr)).where(getattr(model, attr).is_not(None))).scalars():
                kid = cipher.token_key_id(token) or "-"
                counts[kid] = counts.get(kid, 0) + 1
            out[f"{model.__tablename__}.{attr}"] = counts
        return out
    return store.read(work)


def rotate(store: Store, cipher: DataCipher, *, batch: int = 500,
           progress: Callable[[str, int], None] | None = None) -> RotationReport:
    """Re-encrypt every value not sealed with `cipher`'s current key; returns the counts per column."""
    report = RotationReport(cipher.key_id)
    for model, pk, attr, column in COLUMNS:
        name = f"{model.__tablename__}.{attr}"
        report.rewritten[name] = 0
        after = None
        while True:
            done, after = store.transaction(lambda s: _batch(s, cipher, model, pk, attr, column, after, batch))
            report.rewritten[name] += done
            if progress and done:
                progress(name, report.rewritten[name])
            if after is None:
                break
    return report


def _batch(session: Session, cipher: DataCipher, model, pk: str, attr: str, column: str, after, size: int):
    key, value = getattr(model, pk), getattr(model, attr)
    query = select(model).where(value.is_not(None)).order_by(key).limit(size).with_for_update()
    if after is not None:
        query = query.where(key > after)
    rows = list(session.execute(query, execution_options={"populate_existing": True}).scalars())
    done = 0
    for row in rows:
        token = getattr(row, attr)
        if cipher.is_current(token):
            continue
        setattr(row, attr, cipher.encrypt(cipher.decrypt(token, column), column))
        done += 1
    return done, (getattr(rows[-1], pk) if len(rows) == size else None)
