"""Rows every service looks up the same way (inside the caller's transaction)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tongchou.errors import NotFound
from tongchou.store import models as m


def person_row(session: Session, psn_no: str, field: str = "psn_no") -> m.Person:
    """The person, or NotFound naming `field`: 参保人…不存在。"""
    person = session.get(m.Person, psn_no)
    if person is None:
        raise NotFound(field, f"参保人{psn_no}不存在。")
    return person


def pool_of(session: Session, county: str) -> str:
    """The pool (统筹区) a county belongs to; a county the store does not know is its own pool."""
    row = session.get(m.CountyRow, county)
    return row.pool if row else county
