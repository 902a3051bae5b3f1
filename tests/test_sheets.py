"""Batch files: CSV in UTF-8 or GB18030 and XLSX read alike; errors written back in the same format."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from tongchou.errors import InvalidRequest
from tongchou.sheets import column_map, read_sheet, write_sheet

COLUMNS = {"id_number": "公民身份号码", "name": "姓名", "county": "区县"}


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_csv_in_utf8_with_bom_and_in_gb18030_read_the_same():
    text = "公民身份号码,姓名,区县\n371525199001011239,孙八,371525\n\n,,\n"
    for content in (text.encode("utf-8-sig"), text.encode("gb18030")):
        sheet = read_sheet("persons.csv", content)
        assert sheet.fmt == "csv" and sheet.header == ("公民身份号码", "姓名", "区县")
        assert [(r.line, r.values["姓名"]) for r in sheet.rows] == [(2, "孙八")]


def test_xlsx_cells_become_the_text_a_clerk_typed():
    content = xlsx([["公民身份号码", "姓名", "区县", "日期", "工资"],
                    ["371525199001011239", "孙八", 371525, dt.datetime(2018, 3, 1), 5000.5],
                    [None, None, None, None, None],
                    ["11010519491231002X", " 李四 ", 371526, dt.date(2018, 4, 1), 6000.0]])
    sheet = read_sheet("persons.xlsx", content)
    assert sheet.fmt == "xlsx"
    assert [r.line for r in sheet.rows] == [2, 4]
    assert sheet.rows[0].values == {"公民身份号码": "371525199001011239", "姓名": "孙八", "区县": "371525",
                                    "日期": "2018-03-01", "工资": "5000.5"}
    assert sheet.rows[1].values["姓名"] == "李四" and sheet.rows[1].values["工资"] == "6000"


@pytest.mark.parametrize("name, content, message", [
    ("a.csv", b"", "是空的"),
    ("a.xlsx", b"not a workbook", "不是有效的Excel"),
    ("a.xls", b"\xd0\xcf\x11\xe0", "不支持旧版Excel"),
    ("a.xlsx", b"PK\x03\x04broken", "不是有效的Excel"),
    ("a.csv", "姓名,,区县\n".encode(), "表头第2列为空"),
    ("a.csv", "姓名,姓名\n".encode(), "出现了两次"),
])
def test_a_file_that_cannot_be_read_is_refused_naming_the_file(name, content, message):
    with pytest.raises(InvalidRequest) as caught:
        read_sheet(name, content)
    assert caught.value.field == "file" and message in caught.value.message


def test_columns_are_found_by_code_or_label_and_a_missing_one_is_named():
    assert column_map(("姓名", "county", "其他"), COLUMNS, required=("name", "county")) == {
        "name": "姓名", "county": "county"}
    with pytest.raises(InvalidRequest, match="缺少“公民身份号码”（id_number）列"):
        column_map(("姓名",), COLUMNS, required=("id_number", "name"))


def test_errors_go_back_in_the_format_received():
    rows = [(2, "孙八", "区县（county）：999999不是本统筹区的区县。")]
    csv_bytes = write_sheet(("行号", "姓名", "错误"), rows, "csv")
    assert csv_bytes.startswith(b"\xef\xbb\xbf") and "999999不是本统筹区".encode() in csv_bytes
    book = load_workbook(io.BytesIO(write_sheet(("行号", "姓名", "错误"), rows, "xlsx")))
    assert [c.value for c in book.active[2]] == ["2", "孙八", "区县（county）：999999不是本统筹区的区县。"]
