"""The shared document model: every block kind in Markdown, HTML and JSON; the HTML page self-contained."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from tongchou.documents import (
    AssetMissingError,
    Chart,
    Document,
    DocumentMeta,
    KeyFigure,
    KeyFigures,
    Notice,
    Paragraph,
    Section,
    Table,
    from_json,
    json_text,
    to_html,
    to_json,
    to_markdown,
)

FAKE_ECHARTS = "/* echarts */ var echarts = {init: function () { return {setOption: function () {}}; }};"


def sample(with_chart: bool = True) -> Document:
    blocks = [
        Paragraph("本期基金运行平稳。"),
        KeyFigures([KeyFigure("参保人数", "1234", "人"), KeyFigure("基金支出", "56.78", "万元")]),
        Table("基金支出", ["类别", "金额（元）", "占比"], [["住院", "1200.00", "60.00%"], ["门诊|慢病", "—", "—"]]),
        Notice("info", "金额 = 统筹 + 大病。"),
        Notice("warning", "支出进度快于时间进度。"),
        Notice("alert", "预计全年超支。"),
    ]
    if with_chart:
        blocks.append(Chart("住院人次", {"xAxis": {"data": ["一级"]}, "series": [{"type": "bar",
                                                                              "data": [Decimal("0.10")]}]}, 320))
    meta = DocumentMeta(region="示例市", county="冠县", period="2024-01-01至2024-06-30", generated_at="2024-07-01T08:00",
                        source="结算库", scheme="390 城乡居民基本医疗保险", fields=(("机构名称", "示例医院"),))
    return Document("基金运行分析", meta, [Section("一、概况", blocks)], subtitle="统计期间：2024年上半年",
                    footer="金额单位：元。", payload={"data": {"fund_paid": Decimal("1200.00")}, "entries": []})


def test_markdown_shows_every_block_but_charts():
    text = to_markdown(sample())
    assert text.startswith("# 基金运行分析\n\n统计期间：2024年上半年\n")
    for line in ["- 统筹区：示例市", "- 区县：冠县", "- 险种：390 城乡居民基本医疗保险", "- 期间：2024-01-01至2024-06-30",
                 "- 机构名称：示例医院", "- 数据来源：结算库", "- 生成时间：2024-07-01T08:00", "## 一、概况",
                 "本期基金运行平稳。", "- 参保人数：1234人", "**基金支出**", "| 类别 | 金额（元） | 占比 |",
                 "| --- | ---: | ---: |", "| 门诊\\|慢病 | — | — |", "> 金额 = 统筹 + 大病。",
                 "> **注意：**支出进度快于时间进度。", "> **预警：**预计全年超支。", "金额单位：元。"]:
        assert line in text.splitlines(), line
    assert "住院人次" not in text  # a chart has no Markdown form; its figures belong in a table


def test_json_keeps_every_block_and_the_payload():
    data = to_json(sample())
    assert data["meta"][0] == ["统筹区", "示例市"] and ["机构名称", "示例医院"] in data["meta"]
    assert data["context"] == {"region": "示例市", "county": "冠县", "period": "2024-01-01至2024-06-30",
                               "generated_at": "2024-07-01T08:00", "source": "结算库",
                               "scheme": "390 城乡居民基本医疗保险"}
    kinds = [block["kind"] for block in data["sections"][0]["blocks"]]
    assert kinds == ["paragraph", "key_figures", "table", "notice", "notice", "notice", "chart"]
    table = data["sections"][0]["blocks"][2]
    assert table["numeric"] == [False, True, True] and table["rows"][1] == ["门诊|慢病", "—", "—"]
    assert set(data) >= {"title", "subtitle", "footer", "data", "entries"}
    text = json_text(data)
    assert '"fund_paid": 1200.00' in text and '"data":[0.10]' in text.replace("\n", "").replace(" ", "")
    assert json.loads(text)["data"]["fund_paid"] == 1200


def test_json_reads_back():
    doc = sample()
    again = from_json(json.loads(json_text(to_json(doc)), parse_float=Decimal))
    assert to_markdown(again) == to_markdown(doc)
    assert to_json(again)["sections"] == json.loads(json_text(to_json(doc)), parse_float=Decimal)["sections"]


def test_a_stored_section_from_before_the_model_still_renders():
    legacy = {"title": "月度结算单", "meta": [["期间", "2024-03"]], "sections": [
        {"title": "一、结算汇总", "columns": ["项目", "金额"], "rows": [["结算笔数", "3"]], "note": "已撤销的不计入。"}],
        "data": {}, "entries": []}
    text = to_markdown(from_json(legacy))
    assert "- 期间：2024-03" in text and "| 结算笔数 | 3 |" in text and "> 已撤销的不计入。" in text


def test_html_is_self_contained_with_echarts_inlined(tmp_path):
    echarts = tmp_path / "echarts.min.js"
    echarts.write_text(FAKE_ECHARTS, encoding="utf-8")
    page = to_html(sample(), echarts)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    assert FAKE_ECHARTS in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing loaded from the network
    for text in ["<dt>统筹区</dt><dd>示例市</dd>", "<p>本期基金运行平稳。</p>", "<dt>参保人数</dt><dd>1234人</dd>",
                 "<caption>基金支出</caption>", '<th class="num">金额（元）</th>', '<td class="num">1200.00</td>',
                 "<td>门诊|慢病</td>", '<p class="notice notice-info">金额 = 统筹 + 大病。</p>',
                 '<p class="notice notice-warning">注意：支出进度快于时间进度。</p>',
                 '<p class="notice notice-alert">预警：预计全年超支。</p>',
                 '<div class="chart" id="chart-1" style="height:320px" role="img" aria-label="住院人次"></div>',
                 '"data": [0.10]', '"title": {"text": "住院人次", "left": "center"}', "<footer>金额单位：元。</footer>"]:
        assert text in page, text
    embedded = re.search(r'<script type="application/json" id="document-data">(.*?)</script>', page).group(1)
    assert json.loads(embedded)["title"] == "基金运行分析"


def test_html_without_charts_needs_no_echarts(tmp_path):
    page = to_html(sample(with_chart=False), tmp_path / "missing.js")
    assert "echarts.init" not in page
    with pytest.raises(AssetMissingError):
        to_html(sample(), tmp_path / "missing.js")


def test_html_escapes_text_and_scripts(tmp_path):
    echarts = tmp_path / "echarts.min.js"
    echarts.write_text(FAKE_ECHARTS, encoding="utf-8")
    hostile = "</script><script>alert(1)</script>"
    doc = Document(hostile, DocumentMeta(), [Section(hostile, [Paragraph(hostile), Chart(hostile, {"x": hostile})])])
    page = to_html(doc, echarts)
    assert "</script><script>alert(1)" not in page  # no text can close a script and open another
    assert page.count("</script>") == 3  # the document's JSON, ECharts, the charts
    assert "<h1>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page


def test_a_section_without_heading_shows_none(tmp_path):
    doc = Document("基金余额表", DocumentMeta(fields=(("截至", "2018-03-31"),)),
                   [Section("", [Table("", ["基金", "累计结余"], [["居民医保统筹基金", "12.00"]])])])
    assert "##" not in to_markdown(doc) and "<h2>" not in to_html(doc, tmp_path / "unused.js")
