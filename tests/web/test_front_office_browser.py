"""The front-office matters of persons in a real browser, as a clerk performs them: 参保登记 (with a refusal
first), 信息变更, 家庭户, 新生儿登记, 停保/续保/险种转换, 死亡登记, a batch with bad rows (the counts and the
errors file checked against an independent reading of the uploaded rows), a double submission, and 全城通办 by
the service desk. A screenshot of each page at 1366×768 goes to /tmp/fo-persons-shots/."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.web.region import PASSWORD
from tests.web.test_browser import STORES, ascii_words, page, server  # noqa: F401 — the fixtures
from tongchou.store import models as m

SHOTS = Path("/tmp/fo-persons-shots")
PDF = b"%PDF-1.4\n% scanned\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 written again here (the test's own reading, not the rule module's)."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def id_of(first17: str) -> str:
    return first17 + check_char(first17)


NEW_ID = id_of("37152519880808001")  # male
_GOOD = id_of("37152519700101004")
WRONG_ID = _GOOD[:-1] + ("1" if _GOOD[-1] == "0" else "0")  # the right digits, a wrong check character
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, f"{page.url} scrolls sideways at 1366×768 ({width}px)"
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in_as(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def attach(page, selector: str, name: str, content: bytes = PDF) -> None:
    media = "application/pdf" if content.startswith(b"%PDF") else "image/png"
    page.set_input_files(selector, files=[{"name": name, "mimeType": media, "buffer": content}])


def submit(page, form: str = "#matter-form") -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


SIGN_IN_NAMES = {"clerk_a", "desk_a"}  # who received a document or made a change: the clerk's sign-in name
SIGN_IN_NAMES |= {"pdf", "png", "csv", "xlsx"}  # and the extensions of the files' own names (身份证.pdf)


def chinese_only(page) -> None:
    assert ascii_words(page.inner_text("main")) - SIGN_IN_NAMES == set(), page.url


def rows_of(table) -> int:
    return STORES["served"].read(lambda s: s.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture(scope="module")
def clerk(page):  # noqa: F811
    sign_in_as(page, "clerk_a")
    return page


def test_register_a_person_refused_first_then_done(clerk):
    page = clerk
    page.click("nav a[href='/persons/register']")
    page.wait_for_url("**/persons/register")
    chinese_only(page)
    shot(page, "01-register-form")
    page.fill("#f-id_number", NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1"))  # a wrong check digit
    page.fill("#f-name", "")
    page.fill("#f-phone", "139")
    submit(page)
    assert "校验码错误" in page.inner_text("#e-id_number") and "不能为空" in page.inner_text("#e-name")
    assert "11位" in page.inner_text("#e-phone") and "请上传居民身份证或户口簿" in page.inner_text("#e-doc_0")
    assert page.input_value("#f-phone") == "139"
    chinese_only(page)
    shot(page, "02-register-refused")
    page.fill("#f-id_number", NEW_ID.translate(FULL_WIDTH))  # as a Chinese input method may type it
    page.fill("#f-name", "孙八")
    page.fill("#f-phone", "13912345678")
    page.fill("#f-address", "冠县清泉街道1号")
    attach(page, "#f-doc_0", "身份证.pdf")
    submit(page)
    assert re.search(r"/persons/37152500000001", page.url)
    text = page.inner_text("main")
    assert "参保登记已办理" in text and "孙八" in text and "身份证.pdf" in text and "371525********" in text
    assert NEW_ID not in page.content()
    shot(page, "03-person-after-register")


def test_a_double_submission_registers_once(clerk):
    page = clerk
    page.goto("/persons/register")
    page.fill("#f-id_number", id_of("37152519950505002"))
    page.fill("#f-name", "吴九")
    attach(page, "#f-doc_0", "户口簿.pdf")
    statuses = page.evaluate("""async () => {
      const form = document.querySelector('#matter-form');
      const send = () => fetch(form.action, {method: 'POST', body: new FormData(form), redirect: 'manual'});
      const answers = await Promise.all([send(), send()]);
      return answers.map(a => a.type === 'opaqueredirect' ? 303 : a.status);
    }""")
    assert sorted(statuses) == [303, 409], statuses
    named = STORES["served"].read(lambda s: s.execute(select(func.count()).select_from(m.Person)
                                                      .where(m.Person.name == "吴九")).scalar_one())
    assert named == 1


def test_change_a_phone_and_see_the_history(clerk):
    page = clerk
    page.goto("/persons/37152500000001")
    page.click("#matters a:has-text('信息变更')")
    page.wait_for_url("**/change")
    page.select_option("#f-field", "phone")
    page.fill("#f-value", "13700001111")
    attach(page, "#f-doc_0", "身份证.pdf")
    submit(page)
    history = page.inner_text("#change-history")
    assert "手机号码" in history and "139****5678" in history and "137****1111" in history
    chinese_only(page)
    shot(page, "04-change")


def test_a_household_with_a_member(clerk):
    page = clerk
    page.goto("/persons/37152500000001/household")
    attach(page, "#f-doc_0", "户口簿.pdf")
    shot(page, "05-household-create")
    submit(page)
    assert "已建立家庭户H37152500000001" in page.inner_text("main")
    page.goto("/persons/37152500000001/household")
    page.click("a:has-text('成员入户')")
    page.wait_for_url("**/household/add")
    page.fill("#f-member", "GX0011")
    page.select_option("#f-relation", "spouse")
    attach(page, "#f-doc_0", "户口簿.pdf")
    chinese_only(page)
    shot(page, "05a-household-add")
    submit(page)
    assert "已作为配偶加入家庭户" in page.inner_text("main")
    page.goto("/persons/37152500000001/household")
    members = page.inner_text("#household")
    assert "户主" in members and "配偶" in members and "钱七" in members
    chinese_only(page)
    shot(page, "05b-household")
    page.click("a:has-text('成员迁出')")
    chinese_only(page)
    shot(page, "05c-household-remove")


def test_register_a_newborn(clerk):
    page = clerk
    page.goto("/persons/GX0001/newborn")
    page.fill("#f-name", "张小宝")
    page.fill("#f-birth_date", "2018-06-01")
    page.select_option("#f-sex", "2")
    attach(page, "#f-doc_0", "出生医学证明.png", PNG)
    chinese_only(page)
    shot(page, "06-newborn-form")
    submit(page)
    text = page.inner_text("main")
    assert "新生儿登记已办理" in text and "张小宝" in text and "学生儿童" in text and "出生医学证明.png" in text
    assert "张三" in page.inner_text("#household")
    shot(page, "07-newborn-person")


@pytest.mark.parametrize("action, fields, expected", [
    ("stop", {"#f-insutype": "390", "#f-on": "2018-03-31"}, "2018年3月31日为最后参保日"),
    ("resume", {"#f-insutype": "390", "#f-on": "2018-05-15"}, "2018年8月15日"),
    ("switch", {"#f-to": "310", "#f-on": "2018-09-01"}, "转入职工基本医疗保险"),
])
def test_cover_stop_resume_switch(clerk, action, fields, expected):
    page = clerk
    page.goto(f"/persons/GX0004/cover/{action}")
    for selector, value in fields.items():
        if selector in ("#f-insutype", "#f-to"):
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    attach(page, "#f-doc_0", "申请表.pdf")
    chinese_only(page)
    shot(page, f"08-cover-{action}")
    submit(page)
    assert expected in page.inner_text("main"), page.inner_text("main")
    if action == "switch":
        page.goto("/persons/GX0004")
        rows = page.inner_text("#enrolment-rows")
        assert "续保" in rows and "险种转换" in rows and "至今" in rows
        shot(page, "09-person-enrolments")


def test_record_a_death(clerk):
    page = clerk
    page.goto("/persons/GX0001/death")
    page.fill("#f-death_date", "2018-11-30")
    attach(page, "#f-doc_0", "火化证明.pdf")
    chinese_only(page)
    shot(page, "10-death-form")
    submit(page)
    assert "医保待遇自次日终止" in page.inner_text("main")
    page.goto("/persons/GX0001/death")
    page.fill("#f-death_date", "2018-11-30")
    attach(page, "#f-doc_0", "火化证明.pdf")
    submit(page)  # the same matter again: refused next to the date
    assert "死亡已于登记" in page.inner_text("#e-death_date")


BATCH = [
    ["公民身份号码", "姓名", "手机号码", "地址", "区县", "人员类别"],
    [id_of("37152519700101003"), "甲一", "13811112222", "冠县一路", "371525", "1501"],
    [WRONG_ID, "乙二", "", "", "371525", "1501"],
    [id_of("37152519700101005"), "", "12345", "", "371525", "1501"],
    [id_of("37152519700101006"), "丁四", "", "", "371599", "1501"],
    [id_of("37152519700101007"), "戊五", "", "", "371525", "8888"],
    [id_of("37152519700101008"), "己六", "13811113333", "", "371525", "1401"],
    [NEW_ID, "庚七", "", "", "371525", "1501"],
]


def independent_reading(rows: list[list[str]], own_county: str, registered_ids: set[str]) -> dict[int, set[str]]:
    """Line → the columns a careful clerk would flag, read from the rows with this test's own rules."""
    header, body = rows[0], rows[1:]
    psn_types = {"1101", "1102", "1103", "1201", "1401", "1402", "1403", "1404", "1405", "1501"}
    expected: dict[int, set[str]] = {}
    seen = set(registered_ids)
    for line, cells in enumerate(body, start=2):
        row = dict(zip(header, cells))
        wrong = set()
        number = row["公民身份号码"]
        if len(number) != 18 or check_char(number[:17]) != number[17]:
            wrong.add("公民身份号码")
        elif number in seen:
            wrong.add("公民身份号码")
        if not row["姓名"]:
            wrong.add("姓名")
        if row["手机号码"] and not re.fullmatch(r"1[3-9][0-9]{9}", row["手机号码"]):
            wrong.add("手机号码")
        if row["区县"] != own_county:
            wrong.add("区县")
        if row["人员类别"] not in psn_types:
            wrong.add("人员类别")
        if wrong:
            expected[line] = wrong
        else:
            seen.add(number)
    return expected


def test_a_batch_with_bad_rows(clerk, tmp_path):
    page = clerk
    out = io.StringIO()
    csv.writer(out).writerows(BATCH)
    source = tmp_path / "参保名单.csv"
    source.write_bytes(out.getvalue().encode("gb18030"))  # as Excel saves it on a Chinese desktop
    expected = independent_reading(BATCH, "371525", {NEW_ID})
    page.click("nav a[href='/persons/import']")
    page.wait_for_url("**/persons/import")
    chinese_only(page)
    shot(page, "11-import-form")
    page.set_input_files("#f-file", str(source))
    submit(page, "#import-form")
    assert page.inner_text("#count-total") == str(len(BATCH) - 1)
    assert page.inner_text("#count-registered") == str(len(BATCH) - 1 - len(expected))
    assert page.inner_text("#count-refused") == str(len(expected))
    shown = {}
    for row in page.locator("#refused-rows tbody tr").all():
        line, column, _message = [c.inner_text() for c in row.locator("td").all()]
        shown.setdefault(int(line), set()).add(column)
    assert shown == expected
    chinese_only(page)
    shot(page, "12-import-result")
    with page.expect_download() as download:
        page.click("#errors-file")
    back = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert download.value.suggested_filename == "参保名单.errors.csv"
    returned = list(csv.DictReader(io.StringIO(back)))
    assert [int(r["行号"]) for r in returned] == sorted(expected)
    for r in returned:
        flagged = {label for label in BATCH[0] if f"{label}（" in r["错误"]}
        assert flagged == expected[int(r["行号"])], r
        assert r["公民身份号码"] == BATCH[int(r["行号"]) - 1][0]  # the row as it came


def test_the_service_desk_serves_another_county(page):  # noqa: F811
    sign_in_as(page, "desk_a")
    page.goto("/persons")
    page.fill("#q", "李四")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_selector("#results a[href='/persons/GX0002']")
    page.click("#results a[href='/persons/GX0002']")
    page.wait_for_url("**/persons/GX0002")
    assert "全城通办" in page.inner_text("main")
    chinese_only(page)
    shot(page, "13-desk-person-other-county")
    page.click("#matters a:has-text('信息变更')")
    page.select_option("#f-field", "address")
    page.fill("#f-value", "冠县示范区幸福路8号")
    attach(page, "#f-doc_0", "身份证.pdf")
    submit(page)
    assert "变更已办理" in page.inner_text("main") and "地址" in page.inner_text("#change-history")
    shot(page, "14-desk-change")
    assert page.goto("/settlements/S-B1").status == 404  # finance stays with the desk's county
    assert page.goto("/").status == 200 and "冠县示范区" not in page.inner_text("main")


