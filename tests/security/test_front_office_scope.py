"""全城通办 under row-level security (SQLite and PostgreSQL, the console connected as `tongchou_app`): the
service desk of 371525 finds and serves a person of 371599 — the change, its document and its audit event
written in the person's county — while its finance pages stay with its own county; a county clerk cannot
reach the other county's person for any front-office matter, and nothing is written."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from tests.web.conftest import client_for, csrf_of, sign_in
from tongchou.audit.models import AuditEvent
from tongchou.persons.rules import check_character
from tongchou.store import models as m

PDF = b"%PDF-1.4\n% scanned\n"
NEW_B = "37159919800202003"
NEW_B += check_character(NEW_B)


def _client(app, username):
    client = client_for(app)
    assert sign_in(client, username).status_code == 303
    return client


def _post(client, path, data, doc_kind):
    return client.post(path, data={"csrf_token": csrf_of(client), "doc_0_kind": doc_kind, **data},
                       files={"doc_0": ("证明.pdf", PDF, "application/pdf")}, follow_redirects=False)


def _last(owner, action):
    return owner.read(lambda s: s.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                          .order_by(AuditEvent.seq.desc())).first())


def test_the_service_desk_serves_another_county_under_the_scope(scope_region):
    app, owner = scope_region
    desk = _client(app, "desk_a")
    token = csrf_of(desk, "/persons")
    assert 'href="/persons/GX0002"' in desk.post("/persons/search", data={"q": "GX0002", "csrf_token": token}).text
    assert desk.get("/persons/GX0002").status_code == 200
    response = _post(desk, "/persons/GX0002/change", {"field": "phone", "value": "13712345678", "on": "2018-12-01"},
                     "居民身份证或户口簿")
    assert response.status_code == 303, response.text
    change = owner.read(lambda s: s.scalars(select(m.PersonChange).where(m.PersonChange.psn_no == "GX0002")).one())
    assert change.county == "371599" and change.changed_by == "desk_a"
    document = owner.read(lambda s: s.scalars(select(m.DossierDocument)).one())
    assert document.county == "371599" and document.subject_id == "GX0002"
    event = _last(owner, "person.change")
    assert json.loads(event.detail)["cross_county"] is True and event.actor_county == "371525"
    stop = _post(desk, "/persons/GX0002/cover/stop", {"insutype": "390", "on": "2018-10-31"}, "停保申请表")
    assert stop.status_code == 200 and "已停保" in stop.text
    registered = _post(desk, "/persons/register", {"id_number": NEW_B, "name": "周九", "county": "371599",
                                                   "psn_type": "1501"}, "居民身份证或户口簿")
    assert registered.status_code == 303 and "/persons/37159900000001" in registered.headers["location"]
    # finance and settlements stay with the desk's county
    assert desk.get("/settlements/S-B1").status_code == 404
    assert desk.get("/settlements/S-A1").status_code == 200
    assert desk.get("/reimbursements/new").status_code == 403


def test_a_county_clerk_cannot_serve_another_countys_person(scope_region):
    app, owner = scope_region
    clerk = _client(app, "clerk_a")
    for path, data, kind in (
            ("/persons/GX0002/change", {"field": "phone", "value": "13712345678", "on": "2018-12-01"}, "居民身份证或户口簿"),
            ("/persons/GX0002/death", {"death_date": "2018-12-01"}, "死亡医学证明或火化证明"),
            ("/persons/GX0002/newborn", {"name": "李小宝", "birth_date": "2018-06-01", "sex": "1"}, "出生医学证明"),
            ("/persons/GX0002/household/create", {"on": "2018-12-01"}, "户口簿"),
            ("/persons/GX0002/cover/stop", {"insutype": "390", "on": "2018-10-31"}, "停保申请表")):
        assert _post(clerk, path, data, kind).status_code == 404, path
    refused = _post(clerk, "/persons/register", {"id_number": NEW_B, "name": "周九", "county": "371599",
                                                 "psn_type": "1501"}, "居民身份证或户口簿")
    assert refused.status_code == 422 and "您只能为" in refused.text

    def written(s):
        return [s.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (m.PersonChange, m.DossierDocument, m.Household)] + [s.get(m.Person, "GX0002").death_date]
    assert owner.read(written) == [0, 0, 0, None]
    assert owner.read(lambda s: s.scalars(select(m.Enrolment.end).where(m.Enrolment.psn_no == "GX0002")).one()
                      ).isoformat() == "2018-12-31"
    assert _last(owner, "person.death").outcome == "not_found"
