"""The employer pages (用人单位) as a clerk uses them: registration, joining, leaving, the declaration batch, the
tax bureau's collection batch and the arrears, each good and bad — refusals in Chinese next to their field with
the values kept, a resubmitted form applying nothing twice, the documents received kept with the matter, the
county clerk limited to the county, every change in the audit trail — and the employer page's figures checked
against a computation of their own."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import func, select

from tests.web.conftest import client_for, csrf_of, sign_in
from tests.web.employers_region import EMPLOYER_A, EMPLOYER_B, TODAY
from tongchou.audit.models import AuditEvent
from tongchou.store import models as m

PDF = b"%PDF-1.4\n% a scanned page\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
HEADER = "employer,psn_no,month,wage\n"


def client(app, user: str = "admin"):
    c = client_for(app)
    assert sign_in(c, user).status_code == 303
    return c


def store_of(app):
    return app.state.console.store


def post(c, path: str, form_path: str, data: dict, *, docs=(("doc_0", "scan.pdf", PDF),), batch=None):
    files = [(name, (filename, content, "application/octet-stream")) for name, filename, content in docs]
    if batch is not None:
        files.append(("batch", batch))
    page = c.get(form_path)  # the form as a browser has it: its token and the kinds of documents it expects
    kinds = dict(re.findall(r'name="(doc_\d+_kind)" value="([^"]*)"', page.text))
    token = csrf_of(c, form_path if page.status_code == 200 else "/employers")
    payload = {"csrf_token": token, **kinds, **data}
    return c.post(path, data=payload, files=files or None, follow_redirects=False)


def register(c, code=EMPLOYER_A, name="长春某机械厂", county="220102", **kw):
    return post(c, "/employers", "/employers/new", {"code": code, "name": name, "county": county}, **kw)


def join(c, psn_no="CC0101", on="2021-01-01", code=EMPLOYER_A, **kw):
    return post(c, f"/employers/{code}/join", f"/employers/{code}/join", {"psn_no": psn_no, "joined_on": on}, **kw)


def leave(c, psn_no="CC0101", on="2021-05-31", code=EMPLOYER_A, **kw):
    return post(c, f"/employers/{code}/leave", f"/employers/{code}/leave", {"psn_no": psn_no, "left_on": on}, **kw)


def declare(c, text: str, code=EMPLOYER_A, filename="declare.csv", on="2021-03-05", **kw):
    content = text.encode("utf-8") if isinstance(text, str) else text
    return post(c, f"/employers/{code}/declarations", f"/employers/{code}/declarations/new", {"declared_on": on},
                batch=(filename, content, "text/csv"), **kw)


def error_of(html: str, field: str) -> str:
    found = re.search(rf'id="e-{field}"[^>]*>([^<]*)<', html)
    return found.group(1) if found else ""


def value_of(html: str, field: str) -> str:
    found = re.search(rf'id="f-{field}" name="{field}" type="text" value="([^"]*)"', html)
    return found.group(1) if found else ""


def count(app, model) -> int:
    return store_of(app).read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one())


def events(app, action: str) -> list[AuditEvent]:
    return store_of(app).read(lambda s: list(s.execute(select(AuditEvent).where(AuditEvent.action == action)
                                                       .order_by(AuditEvent.seq)).scalars()))


@pytest.fixture
def app(employers_console):
    return employers_console


@pytest.fixture
def admin(app):
    return client(app)


@pytest.fixture
def with_staff(app, admin):
    """EMPLOYER_A registered in 南关区 with CC0101 and CC0103 joined on 1 January 2021."""
    assert register(admin).status_code == 303
    assert join(admin, "CC0101").status_code == 303
    assert join(admin, "CC0103").status_code == 303
    return admin


# ---------------------------------------------------------------- registration

def test_register_an_employer_with_its_licence_kept_in_the_dossier(app, admin):
    response = register(admin, docs=(("doc_0", "营业执照.pdf", PDF), ("doc_1", "委托书.png", PNG)), )
    assert response.status_code == 303, re.findall(r"role=\"alert\">([^<]*)<", response.text)
    assert response.headers["location"] == f"/employers/{EMPLOYER_A}?done=register"
    page = admin.get(response.headers["location"]).text
    assert "单位登记已办理" in page and "长春某机械厂" in page and "南关区" in page
    assert "营业执照.pdf" in page and "营业执照副本" in page and "单位登记" in page
    assert [e.object_id for e in events(app, "employer.register")] == [EMPLOYER_A]
    assert store_of(app).read(lambda s: s.execute(select(m.DossierDocument.kind, m.DossierDocument.subject_id)
                                                  .order_by(m.DossierDocument.id)).all()) == [
        ("营业执照副本", EMPLOYER_A), ("其他材料", EMPLOYER_A)]


def test_register_refusals_are_chinese_next_to_their_field_and_keep_the_values(app, admin):
    empty = register(admin, code="", name="", county="", docs=())
    assert empty.status_code == 422
    assert error_of(empty.text, "code") == "请填写统一社会信用代码。"
    assert error_of(empty.text, "name") == "请填写单位名称。"
    assert error_of(empty.text, "county") == "请选择所在区县。"
    assert error_of(empty.text, "doc_0") == "请上传营业执照副本。"
    bad = register(admin, code="91220102MA0000000F", name="某厂")
    assert bad.status_code == 422 and "第18位应为E，而不是F" in error_of(bad.text, "code")
    assert value_of(bad.text, "code") == "91220102MA0000000F" and value_of(bad.text, "name") == "某厂"
    not_a_scan = register(admin, docs=(("doc_0", "licence.pdf", b"just text"),))
    assert not_a_scan.status_code == 422 and "不是PDF、JPEG、PNG、TIFF或OFD文件" in error_of(not_a_scan.text, "doc_0")
    assert count(app, m.Employer) == 0 and count(app, m.DossierDocument) == 0


def test_a_full_width_code_is_read_as_typed(app, admin):
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in EMPLOYER_A)
    assert register(admin, code=full_width).status_code == 303
    assert store_of(app).read(lambda s: s.get(m.Employer, EMPLOYER_A).name) == "长春某机械厂"


def test_a_resubmitted_registration_registers_once(app, admin):
    assert register(admin).status_code == 303
    again = register(admin)
    assert again.status_code == 409 and "已登记（长春某机械厂）" in error_of(again.text, "code")
    assert count(app, m.Employer) == 1 and count(app, m.DossierDocument) == 1
    assert [e.outcome for e in events(app, "employer.register")] == ["ok", "refused"]


def test_a_county_clerk_registers_and_sees_only_the_county(app, admin):
    register(admin)  # 南关区
    clerk = client(app, "clerk_b")  # 朝阳区
    form = clerk.get("/employers/new").text
    assert "朝阳区" in form and "南关区" not in form
    other = register(clerk, code=EMPLOYER_B, county="220102")
    assert other.status_code == 422 and error_of(other.text, "county") == "请从列表中选择所在区县。"
    assert register(clerk, code=EMPLOYER_B, name="朝阳区某商店", county="220104").status_code == 303
    listed = clerk.get("/employers").text
    assert EMPLOYER_B in listed and EMPLOYER_A not in listed
    assert clerk.get(f"/employers/{EMPLOYER_A}").status_code == 404
    assert join(clerk, code=EMPLOYER_A).status_code == 404
    assert declare(clerk, HEADER + f"{EMPLOYER_A},CC0101,2021-03,5000\n", code=EMPLOYER_A).status_code == 404
    assert [e.outcome for e in events(app, "employer.view")][-1] == "not_found"
    assert count(app, m.Employment) == 0


def test_who_may_do_what(app, admin):
    register(admin)
    auditor = client(app, "auditor")
    assert auditor.get(f"/employers/{EMPLOYER_A}").status_code == 200
    assert auditor.get("/employers/new").status_code == 403
    assert client(app, "clerk_a").get("/employers/collections/new").status_code == 403
    assert client(app, "fund").get("/employers/collections/new").status_code == 200


# ---------------------------------------------------------------- joining and leaving

def test_join_and_leave_with_their_documents(app, admin):
    register(admin)
    joined = join(admin, docs=(("doc_0", "劳动合同.pdf", PDF),))
    assert joined.status_code == 303
    page = admin.get(joined.headers["location"]).text
    assert "增员已办理" in page and "刘一" in page and "2021-01-01起至今" in page
    left = leave(admin, docs=(("doc_0", "解除劳动关系证明.pdf", PDF + b"2"),))
    assert left.status_code == 303
    page = admin.get(left.headers["location"]).text
    assert "减员已办理" in page and "2021-01-01起至2021-05-31" in page
    assert "劳动合同.pdf" in page and "解除劳动关系证明.pdf" in page and "增员" in page and "减员" in page
    enrolment = store_of(app).read(lambda s: s.execute(select(m.Enrolment.start, m.Enrolment.end).where(
        m.Enrolment.psn_no == "CC0101", m.Enrolment.insutype == "310")).one())
    assert tuple(enrolment) == (dt.date(2021, 1, 1), dt.date(2021, 5, 31))
    assert [e.action for e in events(app, "employer.join") + events(app, "employer.leave")] == [
        "employer.join", "employer.leave"]


@pytest.mark.parametrize("psn_no, on, field, message", [
    ("", "", "psn_no", "请填写个人编号。"),
    ("CC0101", "2021/01/01", "joined_on", "增员日期格式不正确"),
    ("NOBODY", "2021-01-01", "psn_no", "参保人NOBODY不存在。"),
    ("CC0102", "2021-03-01", "joined_on", "已参加城乡居民医保"),      # insured as a resident for 2021
    ("CC0201", "2021-03-01", "psn_no", None),                          # of 朝阳区: an admin may join (same pool)
])
def test_join_refusals(app, admin, psn_no, on, field, message):
    register(admin)
    response = join(admin, psn_no, on)
    if message is None:
        assert response.status_code == 303
        return
    assert response.status_code in (409, 422) and message in error_of(response.text, field)
    assert value_of(response.text, "psn_no") == psn_no
    assert count(app, m.Employment) == 0


def test_a_join_needs_its_document_and_a_resubmitted_join_joins_once(app, admin):
    register(admin)
    missing = join(admin, docs=())
    assert missing.status_code == 422 and error_of(missing.text, "doc_0") == "请上传劳动合同或录用通知。"
    assert join(admin).status_code == 303
    again = join(admin)
    assert again.status_code == 409 and "已是长春某机械厂的在职职工" in error_of(again.text, "psn_no")
    assert count(app, m.Employment) == 1
    assert store_of(app).read(lambda s: s.execute(select(func.count()).where(
        m.Enrolment.psn_no == "CC0101", m.Enrolment.insutype == "310")).scalar_one()) == 1


def test_leave_refusals_and_a_resubmitted_leave(app, with_staff):
    early = leave(with_staff, on="2020-12-31")
    assert early.status_code == 422 and "早于增员日期" in error_of(early.text, "left_on")
    assert leave(with_staff).status_code == 303
    again = leave(with_staff)
    assert again.status_code == 409 and "不是长春某机械厂的在职职工" in error_of(again.text, "psn_no")


# ---------------------------------------------------------------- the declaration batch

def expected_parts(wage: str) -> tuple[int, int]:
    """Independently: 长春 2021 bounds 3,600–18,000 (60 %–300 % of 6,000), 7 % and 2 %, half-up to the fen."""
    base = min(max(Decimal(wage), Decimal(3600)), Decimal(18000))
    cents = lambda rate: int((base * rate).quantize(Decimal("0.01"), ROUND_HALF_UP) * 100)  # noqa: E731
    return cents(Decimal("0.07")), cents(Decimal("0.02"))


BATCH = [  # (psn_no, month, wage, column refused or None)
    ("CC0101", "2021-03", "5000.00", None),
    ("CC0103", "2021-02", "-100", "wage"),          # negative
    ("CC0103", "2021-04", "5000.125", "wage"),      # three decimals
    ("CC0103", "２０２１－０３", "３０００", None),      # full-width digits: read as typed, below the lower bound
    ("CC0101", "2021-03", "6000", "month"),          # the same employee and month as line 2
    ("CC0101", "", "5000", "month"),                 # empty
    ("CC0104", "2021-03", "5000", "psn_no"),         # not employed (not joined)
]


def batch_text(rows=BATCH, employer=EMPLOYER_A) -> str:
    return HEADER + "".join(f"{employer},{psn_no},{month},{wage}\n" for psn_no, month, wage, _ in rows)


def test_a_declaration_batch_applies_the_good_rows_and_offers_the_bad_ones_back(app, with_staff):
    response = declare(with_staff, batch_text())
    assert response.status_code == 200
    good = [r for r in BATCH if r[3] is None]
    bad = [(line, r) for line, r in enumerate(BATCH, start=2) if r[3] is not None]
    outcome = re.sub(r"\s+", "", re.search(r'id="outcome">(.*?)</div>', response.text, re.S).group(1))
    assert f"本次申报{len(BATCH)}行：入库<strong>{len(good)}</strong>行，错误<strong>{len(bad)}</strong>行" in outcome
    employer_total = sum(expected_parts(w)[0] for _, _, w, _ in [("", "", "5000", None), ("", "", "3000", None)])
    assert f"单位缴费合计{employer_total / 100:,.2f}元" in outcome
    refused = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]*)</td>', response.text)
    assert [(int(line), column) for line, column in refused] == [(line, r[3]) for line, r in bad]
    link = re.search(r'id="errors-file" href="([^"]+)"', response.text).group(1)
    download = with_staff.get(link)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == ["行号", "employer", "psn_no", "month", "wage", "错误列", "错误"]
    assert [(int(r[0]), r[2], r[3], r[4], r[5]) for r in rows[1:]] == [
        (line, r[0], r[1], r[2], r[3]) for line, r in bad]
    assert "与第2行重复" in rows[3][6] and "缺少费款所属期" in rows[4][6] and "不能为负数" in rows[1][6] and "最多两位小数" in rows[2][6]
    declared = store_of(app).read(lambda s: s.execute(select(m.Declaration.psn_no, m.Declaration.month,
                                                             m.Declaration.employer_part, m.Declaration.individual_part)
                                                      .order_by(m.Declaration.psn_no)).all())
    assert [tuple(d) for d in declared] == [("CC0101", "2021-03", *expected_parts("5000")),
                                           ("CC0103", "2021-03", *expected_parts("3000"))]
    assert [e.outcome for e in events(app, "employer.declare")] == ["ok"]
    assert store_of(app).read(lambda s: s.execute(select(m.DossierDocument.matter_name).where(
        m.DossierDocument.matter == "employer.declare")).scalars().all()) == ["缴费申报"]
    # someone else may not take the errors file
    assert client(app, "auditor").get(link).status_code == 404


def test_a_resubmitted_declaration_batch_declares_nothing_twice(app, with_staff):
    declare(with_staff, batch_text())
    again = declare(with_staff, batch_text())
    assert again.status_code == 200
    outcome = re.sub(r"\s+", "", re.search(r'id="outcome">(.*?)</div>', again.text, re.S).group(1))
    assert f"入库<strong>0</strong>行，错误<strong>{len(BATCH)}</strong>行" in outcome
    assert again.text.count("已申报参保人") == 2  # the two rows applied the first time
    assert count(app, m.Declaration) == 2


def test_an_xlsx_batch_gives_its_errors_file_in_xlsx(app, with_staff):
    from openpyxl import Workbook, load_workbook
    book = Workbook()
    book.active.append(["统一社会信用代码", "个人编号", "费款所属期", "申报工资"])
    book.active.append([EMPLOYER_A, "CC0101", "2021-04", 5000])
    book.active.append([EMPLOYER_A, "CC0103", "2021-04", "abc"])
    book.active.append([EMPLOYER_B, "CC0103", "2021-05", 5000])  # another employer's row
    out = io.BytesIO()
    book.save(out)
    response = declare(with_staff, out.getvalue(), filename="四月申报.xlsx")
    assert response.status_code == 200 and "入库<strong>1</strong>行" in response.text
    link = re.search(r'id="errors-file" href="([^"]+)"', response.text).group(1)
    assert 'download="四月申报_错误行.xlsx"' in response.text
    sheet = load_workbook(io.BytesIO(with_staff.get(link).content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["行号", "统一社会信用代码", "个人编号", "费款所属期", "申报工资", "错误列", "错误"]
    assert [(r[0], r[5]) for r in rows[1:]] == [("3", "申报工资"), ("4", "统一社会信用代码")]


@pytest.mark.parametrize("content, filename, message", [
    (b"", "empty.csv", "是空的"),
    (b"psn_no,month\nCC0101,2021-03\n", "short.csv", "缺少"),
    (HEADER.encode(), "header-only.csv", "没有数据行"),
    (b"\xd0\xcf\x11\xe0old excel", "old.xls", "不支持旧版Excel"),
])
def test_a_bad_batch_file_is_refused_next_to_the_file_input(app, with_staff, content, filename, message):
    response = declare(with_staff, content, filename=filename)
    assert response.status_code == 422 and message in error_of(response.text, "batch")
    assert count(app, m.Declaration) == 0


def test_the_employer_page_shows_parts_arrears_and_the_late_fee_as_of_today(app, with_staff):
    declare(with_staff, HEADER + f"{EMPLOYER_A},CC0101,2021-03,5000.00\n{EMPLOYER_A},CC0103,2021-03,20000\n"
                                 f"{EMPLOYER_A},CC0101,2021-06,5000.00\n")
    page = with_staff.get(f"/employers/{EMPLOYER_A}").text
    # independently: March due 15 March; in arrears 16 March … 30 June, both counted
    days = (TODAY - dt.date(2021, 3, 15)).days
    march = [expected_parts("5000"), expected_parts("20000")]
    unpaid = sum(a + b for a, b in march)
    fee = sum(int((Decimal((a + b) * days) * Decimal("0.0005")).quantize(Decimal(1), ROUND_HALF_UP)) for a, b in march)
    assert days == 107
    row = re.search(r"<tr><td>2021-03</td>(.*?)</tr>", page, re.S).group(1)
    cells = re.findall(r'<td[^>]*>([^<]*)</td>', row)
    assert cells[0] == "2" and cells[1] == "23,000.00"  # 5,000.00 + 18,000.00 (the upper bound)
    assert cells[2] == f"{(march[0][0] + march[1][0]) / 100:,.2f}" == "1,610.00"
    assert cells[3] == f"{(march[0][1] + march[1][1]) / 100:,.2f}" == "460.00"
    assert cells[4:] == ["2021-03-15", "0.00", f"{unpaid / 100:,.2f}", f"{fee / 100:,.2f}"]
    assert "欠费107天" in page and "欠费15天" in page  # June was due on 15 June


# ---------------------------------------------------------------- collections and arrears

def reconcile(c, text: str, batch_no="TAX-2021-04", received_on="2021-04-20", filename="tax.csv"):
    return post(c, "/employers/collections", "/employers/collections/new",
                {"batch_no": batch_no, "received_on": received_on}, docs=(),
                batch=(filename, text.encode("utf-8"), "text/csv"))


TAX_HEADER = "统一社会信用代码,个人编号,费款所属期,单位缴费,个人缴费,滞纳金,缴费日期\n"


def test_a_collection_batch_books_matching_lines_and_holds_the_others_with_the_reason(app, with_staff):
    declare(with_staff, HEADER + f"{EMPLOYER_A},CC0101,2021-03,5000.00\n{EMPLOYER_A},CC0103,2021-03,5000.00\n")
    text = TAX_HEADER + (f"{EMPLOYER_A},CC0101,2021-03,350.00,100.00,6.75,2021-04-14\n"   # 30 days late: 6.75
                         f"{EMPLOYER_A},CC0103,2021-03,300.00,100.00,,2021-03-15\n"       # employer part short
                         f"{EMPLOYER_A},CC0104,2021-03,350.00,100.00,,2021-03-15\n")      # not declared
    response = reconcile(with_staff, text)
    assert response.status_code == 200
    outcome = re.sub(r"\s+", "", re.search(r'id="outcome">(.*?)</div>', response.text, re.S).group(1))
    assert outcome == "批次TAX-2021-04：入账<strong>1</strong>行，征收费款450.00元，滞纳金6.75元；挂起<strong>2</strong>行。"
    held = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td>', response.text)
    assert held == [("3", "单位缴费", "CC0103"), ("4", "费款所属期", "CC0104")]
    assert "单位缴费300.00元与应缴350.00元不符" in response.text and "未找到" in response.text
    page = with_staff.get(f"/employers/{EMPLOYER_A}").text
    assert "已征收（2021-04-14）" in page and "6.75" in page
    again = reconcile(with_staff, text)
    assert again.status_code == 409 and "批次TAX-2021-04已导入" in error_of(again.text, "batch_no")
    assert value_of(again.text, "batch_no") == "TAX-2021-04"
    assert [e.outcome for e in events(app, "employer.reconcile")] == ["ok", "refused"]
    assert store_of(app).read(lambda s: s.execute(select(func.count()).where(
        m.Declaration.collected_on.is_not(None))).scalar_one()) == 1


def test_a_collection_form_with_nothing_in_it(app, with_staff):
    response = post(with_staff, "/employers/collections", "/employers/collections/new",
                    {"batch_no": "", "received_on": "2021/04/20"}, docs=())
    assert response.status_code == 422
    assert error_of(response.text, "batch_no") == "请填写税务批次号。"
    assert "接收日期格式不正确" in error_of(response.text, "received_on")
    assert "请选择批量文件" in error_of(response.text, "batch")


def test_arrears_and_the_late_fee_as_of_a_date(app, with_staff):
    declare(with_staff, HEADER + f"{EMPLOYER_A},CC0101,2021-03,5000.00\n")
    page = with_staff.get("/employers/arrears?as_of=2021-04-14").text
    # 350.00 + 100.00 unpaid, 16 March … 14 April = 30 days × 0.05 % = 6.75
    assert "截至2021-04-14：欠费450.00元，滞纳金6.75元。" in page
    assert with_staff.get("/employers/arrears?as_of=2021-03-15").text.count("没有欠费") == 1
    bad = with_staff.get("/employers/arrears?as_of=2021-13-01")
    assert bad.status_code == 422 and "计算日期格式不正确" in error_of(bad.text, "as_of")
    clerk_b = client(app, "clerk_b")
    assert "没有欠费" in clerk_b.get("/employers/arrears?as_of=2021-04-14").text  # 南关区's employer is not 朝阳区's
    assert events(app, "employer.arrears")
