"""The documents received, against the store: kept with their matter, never changed or deleted.

`record(session, …)` adds them inside the matter's own transaction (a matter and its documents are saved
together or not at all); `DossierService` lists them and gives one back for download, limited to the
store's county (row-level security on PostgreSQL, and the same check here for SQLite).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongchou.dossier.rules import Attachment
from tongchou.errors import NotFound
from tongchou.store import models as m
from tongchou.store.uow import Store


@dataclass(frozen=True)
class Matter:
    """What the documents belong to: the matter (code and Chinese name), its record, and whose it is."""

    code: str  # e.g. person.register, employer.join
    name: str  # e.g. 参保登记
    ref: str  # the matter's own record, e.g. the person number or "enrolment:12"
    subject_type: str  # person | employer
    subject_id: str
    county: str


@dataclass(frozen=True)
class DocumentView:
    id: int
    matter: str
    matter_name: str
    matter_ref: str
    kind: str
    filename: str
    media_type: str
    size: int
    received_on: dt.date
    received_by: str


def record(session: Session, matter: Matter, attachments: Iterable[Attachment], *, received_on: dt.date,
           received_by: str) -> list[int]:
    rows = [m.DossierDocument(
        matter=matter.code, matter_name=matter.name, matter_ref=matter.ref, subject_type=matter.subject_type,
        subject_id=matter.subject_id, county=matter.county, kind=a.kind, filename=a.filename,
        media_type=a.media_type, size=a.size, sha256=a.sha256, content=a.content, received_on=received_on,
        received_by=received_by) for a in attachments]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def _view(row: m.DossierDocument) -> DocumentView:
    return DocumentView(row.id, row.matter, row.matter_name, row.matter_ref, row.kind, row.filename,
                        row.media_type, row.size, row.received_on, row.received_by)


class DossierService:
    def __init__(self, store: Store):
        self.store = store

    def attach(self, matter: Matter, attachments: list[Attachment], *, received_on: dt.date,
               received_by: str) -> list[int]:
        """For a matter already saved (its own transaction): the documents in one transaction."""
        return self.store.transaction(lambda s: record(s, matter, attachments, received_on=received_on,
                                                       received_by=received_by))

    def of_subject(self, subject_type: str, subject_id: str) -> list[DocumentView]:
        """Every document received for a person's or an employer's matters, newest first."""
        def work(session: Session) -> list[DocumentView]:
            rows = session.scalars(select(m.DossierDocument).where(
                m.DossierDocument.subject_type == subject_type, m.DossierDocument.subject_id == subject_id)
                .order_by(m.DossierDocument.id.desc()))
            return [_view(row) for row in rows if self._in_scope(row.county)]
        return self.store.read(work)

    def of_matter(self, code: str, ref: str) -> list[DocumentView]:
        def work(session: Session) -> list[DocumentView]:
            rows = session.scalars(select(m.DossierDocument).where(
                m.DossierDocument.matter == code, m.DossierDocument.matter_ref == ref).order_by(m.DossierDocument.id))
            return [_view(row) for row in rows if self._in_scope(row.county)]
        return self.store.read(work)

    def content(self, document_id: int) -> tuple[DocumentView, bytes]:
        def work(session: Session) -> tuple[DocumentView, bytes]:
            row = session.get(m.DossierDocument, document_id)
            if row is None or not self._in_scope(row.county):
                raise NotFound("document_id", f"档案材料{document_id}不存在（或不在您的管辖范围内）。")
            return _view(row), row.content
        return self.store.read(work)

    def content_with_county(self, document_id: int) -> tuple[DocumentView, bytes, str]:
        """`content` and the county of the document (the console checks 全城通办's pool with it)."""
        def work(session: Session) -> tuple[DocumentView, bytes, str]:
            row = session.get(m.DossierDocument, document_id)
            if row is None or not self._in_scope(row.county):
                raise NotFound("document_id", f"档案材料{document_id}不存在（或不在您的管辖范围内）。")
            return _view(row), row.content, row.county
        return self.store.read(work)

    def _in_scope(self, county: str) -> bool:
        return not self.store.county or county == self.store.county
