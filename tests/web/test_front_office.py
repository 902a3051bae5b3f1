"""The front-office matters of persons over HTTP (issue 19 items 1, 3 and 7): each matter's page with good and bad
input, the documents received saved with the matter, refusals next to their field with the form kept, a
resubmitted form never applied twice, county scope for a clerk and 全城通办 for the service desk (audited), and
batch registration from CSV and XLSX with the errors file in the format uploaded."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from tests.web.conftest import client_for, csrf_of, sign_in
from tongchou.audit.models import AuditEvent
from tongchou.persons.rules import check_character
from tongchou.store import models as m

PDF = b"%PDF-1.4\n% a scanned page\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def with_check(first17: str) -> str:
    return first17 + check_character(first17)


A1 = with_check("37152519851111003")  # male, 1985-11-11
A2 = with_check("37152519920305004")  # female, 1992-03-05
A3 = with_check("37152520010707005")


def store_of(console):
    return console.state.console.store


def count(console, model, *where) -> int:
    return store_of(console).read(lambda s: s.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def events(console, action: str) -> list[AuditEvent]:
    return store_of(console).read(lambda s: list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                                           .order_by(AuditEvent.seq))))


def detail(event: AuditEvent) -> dict:
    return json.loads(event.detail)


def client_as(console, username: str):
    client = client_for(console)
    assert sign_in(client, username).status_code == 303
    return client


def post(client, path: str, data: dict, files: dict | None = None, token: str | None = None):
    """A multipart form as the page sends it: the CSRF token, the fields, the documents (`doc_0` …)."""
    token = token or csrf_of(client, path if not path.endswith("/create") else "/")
    parts = {name: (filename, content, "application/octet-stream") for name, (filename, content) in (files or {}).items()}
    return client.post(path, data={"csrf_token": token, **data}, files=parts or {"_none": ("", b"", "text/plain")},
                       follow_redirects=False)


def error_of(page: str, field: str) -> str:
    found = re.search(rf'id="e-{re.escape(field)}"[^>]*>([^<]*)<', page)
    return found.group(1) if found else ""


def value_of(page: str, field: str) -> str | None:
    found = re.search(rf'name="{re.escape(field)}" type="[a-z]+" value="([^"]*)"', page)
    return found.group(1) if found else None


ID_DOC = {"doc_0": ("身份证.pdf", PDF)}


# ---------------------------------------------------------------- 参保登记

def register_form(id_number=A1, **more) -> dict:
    return {"id_number": id_number, "name": "孙八", "county": "371525", "psn_type": "1501", "phone": "13912345678",
            "address": "冠县清泉街道1号", "doc_0_kind": "居民身份证或户口簿", **more}


def test_register_a_person_with_the_document_received(console):
    clerk = client_as(console, "clerk_a")
    response = post(clerk, "/persons/register", register_form(), ID_DOC)
    assert response.status_code == 303, response.text
    psn_no = response.headers["location"].split("/")[2].split("?")[0]
    assert psn_no == "37152500000001"
    page = clerk.get(response.headers["location"]).text
    assert "参保登记已办理" in page and "身份证.pdf" in page and "居民身份证或户口簿" in page
    assert A1 not in page and "371525********" in page
    docs = store_of(console).read(lambda s: list(s.scalars(select(m.DossierDocument))))
    assert [(d.matter, d.matter_name, d.subject_id, d.kind, d.county) for d in docs] == [
        ("person.register", "参保登记", psn_no, "居民身份证或户口簿", "371525")]
    event = events(console, "person.register")[-1]
    assert event.object_id == psn_no and event.outcome == "ok" and detail(event)["documents"] == ["居民身份证或户口簿"]
    assert "cross_county" not in detail(event)


def test_register_refuses_empty_fields_and_a_missing_document_next_to_each_field(console):
    clerk = client_as(console, "clerk_a")
    response = post(clerk, "/persons/register", register_form("", name="", phone="139", address="冠县某路"))
    assert response.status_code == 422
    page = response.text
    assert "18位" in error_of(page, "id_number") and "不能为空" in error_of(page, "name")
    assert "11位" in error_of(page, "phone") and "请上传居民身份证或户口簿" in error_of(page, "doc_0")
    assert value_of(page, "address") == "冠县某路" and value_of(page, "phone") == "139"  # the form is kept
    assert count(console, m.Person, m.Person.psn_no.like("3715%")) == 0
    assert events(console, "person.register")[-1].outcome == "refused"


def test_register_keeps_a_wrong_id_number_masked_and_refuses_its_check_digit(console):
    clerk = client_as(console, "clerk_a")
    wrong = A1[:-1] + ("0" if A1[-1] != "0" else "1")
    page = post(clerk, "/persons/register", register_form(wrong), ID_DOC).text
    assert "校验码错误" in error_of(page, "id_number")
    assert wrong not in page and value_of(page, "id_number") == wrong[:6] + "********" + wrong[-4:]


def test_register_reads_full_width_digits_and_a_resubmitted_form_is_not_applied_twice(console):
    clerk = client_as(console, "clerk_a")
    token = csrf_of(clerk, "/persons/register")
    first = post(clerk, "/persons/register", register_form(A2.translate(FULL_WIDTH), phone="１３９１２３４５６７８"), ID_DOC,
                 token=token)
    assert first.status_code == 303
    again = post(clerk, "/persons/register", register_form(A2.translate(FULL_WIDTH), phone="１３９１２３４５６７８"), ID_DOC,
                 token=token)  # the same form sent again (double click, back and resubmit)
    assert again.status_code == 409 and "已登记为参保人37152500000001" in error_of(again.text, "id_number")
    assert count(console, m.Person, m.Person.psn_no.like("3715%")) == 1
    assert count(console, m.DossierDocument) == 1
    # the number was kept in half-width digits: found by its ordinary form
    found = clerk.post("/persons/search", data={"q": A2, "csrf_token": token}).text
    assert 'href="/persons/37152500000001"' in found


def test_register_refuses_a_bad_file_and_another_countys_registration_for_a_clerk(console):
    clerk = client_as(console, "clerk_a")
    page = post(clerk, "/persons/register", register_form(), {"doc_0": ("身份证.txt", b"just text")}).text
    assert "不是PDF、JPEG、PNG、TIFF或OFD文件" in error_of(page, "doc_0")
    page = post(clerk, "/persons/register", register_form(county="371599"), ID_DOC).text
    assert "您只能为冠县办理参保登记" in error_of(page, "county")
    assert count(console, m.Person, m.Person.psn_no.like("3715%")) == 0


def test_a_role_without_the_permission_cannot_open_the_matters(console):
    fund = client_as(console, "fund")
    for path in ("/persons/register", "/persons/import", "/persons/GX0001/change", "/persons/GX0001/cover/stop"):
        assert fund.get(path).status_code == 403, path
    reviewer = client_as(console, "reviewer_a")
    page = reviewer.get("/persons/GX0001").text
    assert "/persons/GX0001/change" not in page and "/persons/GX0001/cover/stop" not in page
    clerk = client_as(console, "clerk_a")
    nav = clerk.get("/persons").text.split("</nav>")[0]
    assert "参保登记" in nav and "批量登记" in nav


# ---------------------------------------------------------------- 信息变更

def test_change_a_phone_shows_the_history_masked_and_refuses_the_same_value_again(console):
    clerk = client_as(console, "clerk_a")
    form = {"field": "phone", "value": "13912345678", "on": "2018-12-30", "doc_0_kind": "居民身份证或户口簿"}
    token = csrf_of(clerk, "/persons/GX0001/change")
    assert post(clerk, "/persons/GX0001/change", form, ID_DOC, token=token).status_code == 303
    again = post(clerk, "/persons/GX0001/change", form, ID_DOC, token=token)
    assert again.status_code == 422 and "与原值相同" in error_of(again.text, "value")
    page = clerk.get("/persons/GX0001").text
    history = page.split('id="change-history"')[1].split("</table>")[0]
    assert "手机号码" in history and "138****0000" in history and "139****5678" in history
    assert "13912345678" not in page
    assert count(console, m.PersonChange) == 1 and count(console, m.DossierDocument) == 1


@pytest.mark.parametrize("form, field, message", [
    ({"field": "phone", "value": "", "on": "2018-12-30"}, "value", "请填写新值"),
    ({"field": "phone", "value": "-13912345678", "on": "2018-12-30"}, "value", "11位"),
    ({"field": "age", "value": "30", "on": "2018-12-30"}, "field", "请从列表中选择变更项目"),
    ({"field": "name", "value": "张三丰", "on": "-2018-12-30"}, "on", "格式不正确"),
    ({"field": "name", "value": "张三丰", "on": "2019-01-05"}, "on", "晚于今天"),
])
def test_change_refuses_bad_input_next_to_the_field(console, form, field, message):
    clerk = client_as(console, "clerk_a")
    response = post(clerk, "/persons/GX0001/change", {**form, "doc_0_kind": "居民身份证或户口簿"}, ID_DOC)
    assert response.status_code == 422 and message in error_of(response.text, field)
    assert count(console, m.PersonChange) == 0


# ---------------------------------------------------------------- 死亡登记

DEATH_DOC = {"doc_0": ("死亡证明.png", PNG)}


def test_record_a_death_ends_cover_and_a_resubmission_is_refused(console):
    clerk = client_as(console, "clerk_a")
    form = {"death_date": "2018-09-10", "doc_0_kind": "死亡医学证明或火化证明"}
    token = csrf_of(clerk, "/persons/GX0001/death")
    response = post(clerk, "/persons/GX0001/death", form, DEATH_DOC, token=token)
    assert response.status_code == 200 and "医保待遇自次日终止" in response.text
    ends = store_of(console).read(lambda s: [e.end for e in s.scalars(select(m.Enrolment).where(
        m.Enrolment.psn_no == "GX0001"))])
    assert [e.isoformat() for e in ends] == ["2018-09-10"]
    again = post(clerk, "/persons/GX0001/death", form, DEATH_DOC, token=token)
    assert again.status_code == 422 and "死亡已于登记为2018年9月10日" in error_of(again.text, "death_date")
    assert count(console, m.DossierDocument) == 1
    page = clerk.get("/persons/GX0001").text
    assert "死亡证明.png" in page and "死亡登记" in page.split('id="documents"')[1]


@pytest.mark.parametrize("value, message", [("", "请填写死亡日期"), ("2019-02-01", "晚于今天"),
                                            ("1989-12-31", "早于出生日期"), ("10-09-2018", "格式不正确")])
def test_a_death_date_is_checked(console, value, message):
    clerk = client_as(console, "clerk_a")
    response = post(clerk, "/persons/GX0001/death", {"death_date": value, "doc_0_kind": "死亡医学证明或火化证明"},
                    DEATH_DOC)
    assert response.status_code == 422 and message in error_of(response.text, "death_date")


# ---------------------------------------------------------------- 新生儿登记

BIRTH_DOC = {"doc_0": ("出生证明.pdf", PDF)}


def test_register_a_newborn_to_an_insured_parent_once(console):
    clerk = client_as(console, "clerk_a")
    form = {"name": "张小宝", "birth_date": "2018-06-01", "sex": "1", "doc_0_kind": "出生医学证明"}
    token = csrf_of(clerk, "/persons/GX0001/newborn")
    response = post(clerk, "/persons/GX0001/newborn", form, BIRTH_DOC, token=token)
    assert response.status_code == 303
    child = response.headers["location"].split("/")[2].split("?")[0]
    page = clerk.get(f"/persons/{child}").text
    assert "张小宝" in page and "学生儿童" in page and "出生证明.pdf" in page
    household = page.split('id="household"')[1].split("</table>")[0]
    assert "张三" in household and "子女" in household
    again = post(clerk, "/persons/GX0001/newborn", form, BIRTH_DOC, token=token)
    assert again.status_code == 409 and f"登记为参保人{child}" in error_of(again.text, "name")
    assert count(console, m.Person, m.Person.name == "张小宝") == 1


def test_a_newborns_parent_must_be_insured_and_the_fields_are_checked(console):
    clerk = client_as(console, "clerk_a")
    page = post(clerk, "/persons/GX0003/newborn", {"name": "王小宝", "birth_date": "2018-06-01", "sex": "1",
                                                    "doc_0_kind": "出生医学证明"}, BIRTH_DOC).text
    assert "未参加本市医保" in page and 'class="alert"' in page
    page = post(clerk, "/persons/GX0001/newborn", {"name": "", "birth_date": "2018-13-01", "sex": "3",
                                                    "id_number": "３７１５２５", "doc_0_kind": "出生医学证明"}).text
    assert "请填写新生儿姓名" in error_of(page, "name") and "格式不正确" in error_of(page, "birth_date")
    assert "请从列表中选择性别" in error_of(page, "sex") and "18位" in error_of(page, "id_number")
    assert "请上传出生医学证明" in error_of(page, "doc_0")


# ---------------------------------------------------------------- 家庭户

HOUSEHOLD_DOC = {"doc_0": ("户口簿.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20)}


def test_create_a_household_add_and_remove_a_member(console):
    clerk = client_as(console, "clerk_a")
    token = csrf_of(clerk, "/persons/GX0003/household")
    created = post(clerk, "/persons/GX0003/household/create", {"on": "2018-03-01", "doc_0_kind": "户口簿"},
                   HOUSEHOLD_DOC, token=token)
    assert created.status_code == 200 and "已建立家庭户HGX0003" in created.text
    add = {"member": "GX0004", "relation": "spouse", "on": "2018-03-02", "doc_0_kind": "户口簿"}
    assert "已作为配偶加入家庭户HGX0003" in post(clerk, "/persons/GX0003/household/add", add, HOUSEHOLD_DOC,
                                                  token=token).text
    again = post(clerk, "/persons/GX0003/household/add", add, HOUSEHOLD_DOC, token=token)
    assert again.status_code == 422 and "已是家庭户HGX0003的成员" in error_of(again.text, "member")
    refused = post(clerk, "/persons/GX0003/household/remove",
                   {"member": "GX0003", "on": "2018-05-01", "doc_0_kind": "户口簿或迁出证明"}, HOUSEHOLD_DOC, token=token)
    assert "户主须在其他1名成员迁出后才能迁出" in error_of(refused.text, "member")
    removed = post(clerk, "/persons/GX0003/household/remove",
                   {"member": "GX0004", "on": "2018-05-01", "doc_0_kind": "户口簿或迁出证明"}, HOUSEHOLD_DOC, token=token)
    assert "已迁出家庭户HGX0003" in removed.text
    page = clerk.get("/persons/GX0003").text.split('id="household"')[1].split("</table>")[0]
    assert "赵六" in page and "2018-05-01" in page
    assert count(console, m.DossierDocument, m.DossierDocument.matter.like("household.%")) == 3


def test_a_clerk_cannot_add_a_member_of_another_county(console):
    clerk = client_as(console, "clerk_a")
    token = csrf_of(clerk, "/persons/GX0003/household")
    post(clerk, "/persons/GX0003/household/create", {"on": "2018-03-01", "doc_0_kind": "户口簿"}, HOUSEHOLD_DOC,
         token=token)
    page = post(clerk, "/persons/GX0003/household/add", {"member": "GX0002", "relation": "parent", "on": "2018-03-02",
                                                          "doc_0_kind": "户口簿"}, HOUSEHOLD_DOC, token=token).text
    assert "不存在或不在您的管辖范围内" in error_of(page, "member")
    assert count(console, m.HouseholdMember, m.HouseholdMember.psn_no == "GX0002") == 0


# ---------------------------------------------------------------- 停保、续保、险种转换

def cover_form(kind: str, **fields) -> dict:
    return {"doc_0_kind": kind, **fields}


def test_stop_resume_and_switch_cover_each_once(console):
    clerk = client_as(console, "clerk_a")
    doc = {"doc_0": ("申请表.pdf", PDF)}
    token = csrf_of(clerk, "/persons/GX0001/cover/stop")
    stop = cover_form("停保申请表", insutype="390", on="2018-03-31")
    response = post(clerk, "/persons/GX0001/cover/stop", stop, doc, token=token)
    assert response.status_code == 200 and "已停保，2018年3月31日为最后参保日" in response.text
    again = post(clerk, "/persons/GX0001/cover/stop", stop, doc, token=token)
    assert again.status_code == 422 and "无需停保" in error_of(again.text, "on")
    resume = cover_form("续保申请表", insutype="390", on="2018-05-15")
    response = post(clerk, "/persons/GX0001/cover/resume", resume, doc, token=token)
    assert response.status_code == 200 and "2018年8月15日" in response.text  # the 3-month wait of 冠县
    again = post(clerk, "/persons/GX0001/cover/resume", resume, doc, token=token)
    assert again.status_code == 422 and "无需续保" in error_of(again.text, "on")
    switch = cover_form("险种转换申请表", to="310", on="2018-09-01")
    response = post(clerk, "/persons/GX0001/cover/switch", switch, doc, token=token)
    assert response.status_code == 200 and "2018年9月1日转入职工基本医疗保险" in response.text
    again = post(clerk, "/persons/GX0001/cover/switch", switch, doc, token=token)
    assert again.status_code == 422 and "无需转换" in error_of(again.text, "to")
    page = clerk.get("/persons/GX0001").text
    rows = page.split('id="enrolment-rows"')[1].split("</tbody>")[0]
    assert "续保" in rows and "险种转换" in rows and "2018-08-15" in rows and "至今" in rows
    kinds = store_of(console).read(lambda s: [(e.insutype, e.kind, e.start.isoformat(), e.end.isoformat() if e.end
                                               else None) for e in s.scalars(select(m.Enrolment).where(
                                                   m.Enrolment.psn_no == "GX0001").order_by(m.Enrolment.start))])
    assert kinds == [("390", "on_time", "2018-01-01", "2018-03-31"), ("390", "resume", "2018-05-15", "2018-08-31"),
                     ("310", "switch", "2018-09-01", None)]
    assert count(console, m.DossierDocument, m.DossierDocument.matter.like("cover.%")) == 3


@pytest.mark.parametrize("action, form, field, message", [
    ("stop", {"insutype": "390", "on": ""}, "on", "请填写停保日期"),
    ("stop", {"insutype": "999", "on": "2018-03-31"}, "insutype", "请从列表中选择险种"),
    ("stop", {"insutype": "390", "on": "2017-12-31"}, "on", "早于参保记录"),
    ("stop", {"insutype": "310", "on": "2018-03-31"}, "insutype", "没有可停保的"),
    ("resume", {"insutype": "390", "on": "2018-06-30"}, "on", "无需续保"),
    ("switch", {"to": "390", "on": "2018-06-01"}, "to", "无需转换"),
])
def test_cover_refusals_are_shown_next_to_their_field(console, action, form, field, message):
    clerk = client_as(console, "clerk_a")
    kind = {"stop": "停保申请表", "resume": "续保申请表", "switch": "险种转换申请表"}[action]
    response = post(clerk, f"/persons/GX0001/cover/{action}", {"doc_0_kind": kind, **form},
                    {"doc_0": ("申请表.pdf", PDF)})
    assert response.status_code == 422 and message in error_of(response.text, field), response.text[-2000:]


# ---------------------------------------------------------------- 全城通办

def test_a_county_clerk_cannot_reach_another_countys_person_for_any_matter(console):
    clerk = client_as(console, "clerk_a")  # GX0002 is of 371599
    for path in ("/persons/GX0002", "/persons/GX0002/change", "/persons/GX0002/death", "/persons/GX0002/newborn",
                 "/persons/GX0002/household", "/persons/GX0002/cover/stop"):
        assert clerk.get(path).status_code == 404, path
    response = post(clerk, "/persons/GX0002/death", {"death_date": "2018-09-10", "doc_0_kind": "死亡医学证明或火化证明"},
                    DEATH_DOC, token=csrf_of(clerk))
    assert response.status_code == 404
    assert store_of(console).read(lambda s: s.get(m.Person, "GX0002").death_date) is None
    assert events(console, "person.death")[-1].outcome == "not_found"


def test_the_service_desk_serves_any_county_audited_but_finance_stays_with_its_county(console):
    desk = client_as(console, "desk_a")  # 综合柜员（全城通办） of 371525
    found = desk.post("/persons/search", data={"q": "李四", "csrf_token": csrf_of(desk)}).text
    assert 'href="/persons/GX0002"' in found
    assert detail(events(console, "person.search")[-1])["cross_county"] is True
    page = desk.get("/persons/GX0002").text
    assert "全城通办" in page and "李四" in page and 'href="/settlements/S-B1"' not in page
    view = events(console, "person.view")[-1]
    assert view.object_id == "GX0002" and detail(view) == {"cross_county": True, "person_county": "371599"}
    response = post(desk, "/persons/GX0002/change", {"field": "address", "value": "冠县示范区幸福路8号", "on": "2018-12-30",
                                                     "doc_0_kind": "居民身份证或户口簿"}, ID_DOC)
    assert response.status_code == 303
    event = events(console, "person.change")[-1]
    assert event.outcome == "ok" and detail(event)["cross_county"] is True and event.actor_county == "371525"
    doc = store_of(console).read(lambda s: s.scalars(select(m.DossierDocument)).one())
    assert doc.county == "371599" and doc.received_by == "desk_a"  # the document belongs to the person's county
    assert desk.get(f"/dossier/{doc.id}").status_code == 200
    assert detail(events(console, "dossier.download")[-1])["cross_county"] is True
    # everything else stays with the desk's own county
    assert desk.get("/settlements/S-B1").status_code == 404
    assert desk.get("/persons/GX0002/enrol").status_code == 403
    dashboard = desk.get("/").text
    assert "冠县示范区" not in re.sub(r"<header.*?</header>", "", dashboard, flags=re.S)
    # a register of the other county is allowed
    response = post(desk, "/persons/register", register_form(A3, county="371599"), ID_DOC)
    assert response.status_code == 303 and "/persons/37159900000001" in response.headers["location"]
    assert detail(events(console, "person.register")[-1])["cross_county"] is True


# ---------------------------------------------------------------- 批量登记

def batch_rows() -> list[list[str]]:
    return [["公民身份号码", "姓名", "手机号码", "区县", "人员类别"],
            [A1, "孙八", "13912345678", "371525", "1501"],
            ["371525199001011235", "错号", "", "371525", "1501"],  # wrong check digit
            [A2, "", "139", "371525", "9999"],  # three wrong columns
            [A3, "周九", "", "371599", "1501"],  # another county, for a clerk of 371525
            [A1, "重复", "", "371525", "1501"]]  # the number of row 2, registered just before


def upload(client, filename: str, content: bytes, token: str | None = None):
    return client.post("/persons/import", data={"csrf_token": token or csrf_of(client, "/persons/import")},
                       files={"file": (filename, content, "application/octet-stream")})


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def test_a_csv_batch_registers_the_good_rows_and_returns_the_bad_ones(console):
    clerk = client_as(console, "clerk_a")
    response = upload(clerk, "名单.csv", csv_bytes(batch_rows()))
    page = response.text
    assert response.status_code == 200
    assert re.search(r'id="count-total">5<', page) and re.search(r'id="count-registered">1<', page)
    assert re.search(r'id="count-refused">4<', page)
    link = re.search(r'id="errors-file" href="([^"]+)"', page).group(1)
    back = clerk.get(link)
    assert back.status_code == 200 and "名单.errors.csv" in unquote(back.headers["content-disposition"])
    rows = list(csv.DictReader(io.StringIO(back.content.decode("utf-8-sig"))))
    assert [r["行号"] for r in rows] == ["3", "4", "5", "6"]
    assert rows[0]["公民身份号码"] == "371525199001011235" and "校验码错误" in rows[0]["错误"]
    assert all(c in rows[1]["错误"] for c in ("姓名（name）", "手机号码（phone）", "人员类别（psn_type）"))
    assert "区县（county）" in rows[2]["错误"] and "已登记为参保人37152500000001" in rows[3]["错误"]
    assert count(console, m.Person, m.Person.psn_no.like("3715%")) == 1
    # the same file again: every row refused by the registration rule, nothing registered twice
    again = upload(clerk, "名单.csv", csv_bytes(batch_rows())).text
    assert re.search(r'id="count-registered">0<', again) and "已登记为参保人37152500000001" in again
    assert count(console, m.Person, m.Person.psn_no.like("3715%")) == 1


def test_an_xlsx_batch_is_read_and_its_errors_come_back_as_xlsx(console):
    from openpyxl import Workbook, load_workbook
    book = Workbook()
    for row in batch_rows():
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    desk = client_as(console, "desk_a")  # 全城通办: the row of 371599 is registered too
    page = upload(desk, "名单.xlsx", data.getvalue()).text
    assert re.search(r'id="count-registered">2<', page) and re.search(r'id="count-refused">3<', page)
    back = desk.get(re.search(r'id="errors-file" href="([^"]+)"', page).group(1))
    assert back.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(back.content)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0] == ["行号", "公民身份号码", "姓名", "手机号码", "区县", "人员类别", "错误"]
    assert [r[0] for r in rows[1:]] == ["3", "4", "6"]
    clerk = client_as(console, "clerk_a")
    assert clerk.get(re.search(r'id="errors-file" href="([^"]+)"', page).group(1)).status_code == 404  # not theirs


@pytest.mark.parametrize("filename, content, message", [
    ("名单.xls", b"\xd0\xcf\x11\xe0old excel", "不支持旧版Excel"),
    ("名单.xlsx", b"PK\x03\x04broken", "不是有效的Excel"),
    ("名单.csv", b"", "是空的"),
    ("名单.csv", "姓名,区县\n孙八,371525\n".encode(), "缺少"),
])
def test_a_bad_batch_file_is_refused_in_chinese(console, filename, content, message):
    clerk = client_as(console, "clerk_a")
    response = upload(clerk, filename, content)
    assert response.status_code == 422 and message in error_of(response.text, "file")


def test_a_batch_without_a_file_is_refused(console):
    clerk = client_as(console, "clerk_a")
    response = clerk.post("/persons/import", data={"csrf_token": csrf_of(clerk, "/persons/import")},
                          files={"_none": ("", b"", "text/plain")})
    assert response.status_code == 422 and "请选择批量登记文件" in error_of(response.text, "file")


def test_the_errors_file_fixed_can_be_sent_again(console):
    clerk = client_as(console, "clerk_a")
    page = upload(clerk, "名单.csv", csv_bytes(batch_rows()[:3])).text  # header, a good row, a wrong check digit
    back = clerk.get(re.search(r'id="errors-file" href="([^"]+)"', page).group(1)).content.decode("utf-8-sig")
    fixed = back.replace("371525199001011235", with_check("37152519900101123"))
    again = upload(clerk, "名单.errors.csv", fixed.encode("utf-8-sig")).text  # 行号 and 错误 are ignored
    assert re.search(r'id="count-registered">1<', again) and re.search(r'id="count-refused">0<', again)


def test_a_search_in_full_width_digits_finds_the_person(console):
    clerk = client_as(console, "clerk_a")
    assert post(clerk, "/persons/register", register_form(), ID_DOC).status_code == 303
    found = clerk.post("/persons/search", data={"q": A1.translate(FULL_WIDTH), "csrf_token": csrf_of(clerk)}).text
    assert 'href="/persons/37152500000001"' in found and A1 not in found
