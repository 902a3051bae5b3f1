"""出示电子凭证: the console shows a person's e-certificate as a QR code (issue 17, item 4) — for the roles
that may, within the county scope, audited, and the token shown works at 1101 for 5 minutes."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.store.support import TEST_CIPHER
from tests.web.conftest import client_for, csrf_of, sign_in
from tongchou.api import identity
from tongchou.audit.models import AuditEvent


def signed_in(console, username: str):
    client = client_for(console)
    assert sign_in(client, username).status_code == 303
    return client


def test_the_person_page_shows_an_e_certificate_as_a_qr_code(console):
    clerk = signed_in(console, "clerk_a")
    page = clerk.get("/persons/GX0001").text
    assert "出示电子凭证" in page
    response = clerk.post("/persons/GX0001/ecert", data={"csrf_token": csrf_of(clerk, "/persons/GX0001")})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert "<svg" in response.text and "5分钟" in response.text
    token = re.search(r"<code>(EC[0-9A-F]+\.[0-9a-f]+)</code>", response.text).group(1)
    store = console.state.console.store
    person = store.read(lambda s: identity.find_person(s, TEST_CIPHER, identity.Certificate("01", token)))
    assert person.psn_no == "GX0001"
    events = store.read(lambda s: s.execute(select(AuditEvent).where(AuditEvent.action == identity.ECERT_ISSUE))
                        .scalars().all())
    assert [(e.actor, e.object_id) for e in events] == [("clerk_a", "GX0001")] and token not in events[0].detail


def test_only_allowed_roles_in_their_county_may_show_one(console):
    auditor = signed_in(console, "auditor")
    assert "出示电子凭证" not in auditor.get("/persons/GX0001").text
    token = csrf_of(auditor, "/persons/GX0001")
    assert auditor.post("/persons/GX0001/ecert", data={"csrf_token": token}).status_code == 403
    other_county = signed_in(console, "clerk_b")
    token = csrf_of(other_county, "/")
    assert other_county.post("/persons/GX0001/ecert", data={"csrf_token": token}).status_code == 404
    clerk = signed_in(console, "clerk_a")
    assert clerk.post("/persons/GX0001/ecert", data={}).status_code in (400, 403)  # no CSRF token
