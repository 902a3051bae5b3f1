"""The catalogue files of 1301, 1302, 1305 and 1306: the national positional layout (columns in the order the
national interface's public clients read them, openhis OutputDownload13.cs), one catalogue entry a row,
tab-separated, UTF-8, no header, in a zip file downloaded with 9102. Pure.

The catalogue keeps no list type of its own: an entry's list type (目录类别) follows its code, as national
codes are built — `X`/`Z` western and Chinese patent drugs (101), `T` herbal pieces (102), `C` consumables
(301), digits medical service items (201); the synthetic region's `YP` drugs (101), `HC` consumables (301)
and its other prefixes service items (201). Columns the catalogue has no value for are empty.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any, Iterable, Mapping

WESTERN, HERBAL, SERVICE, CONSUMABLE = "101", "102", "201", "301"
LIST_TYPE_OF_INFNO = {"1301": WESTERN, "1302": HERBAL, "1305": SERVICE, "1306": CONSUMABLE}
CATEGORY_MARK = {"A": "甲", "B": "乙", "C": "丙"}

COLUMNS_1301 = (
    "医疗目录编码", "药品商品名", "通用名编号", "药品通用名", "化学名称", "别名", "英文名称", "注册名称", "药监本位码", "药品剂型", "药品剂型名称", "药品类别",
    "药品类别名称", "药品规格", "药品规格代码", "注册剂型", "注册规格", "注册规格代码", "每次用量", "使用频次", "酸根盐基", "国家药品编号", "用法", "中成药标志",
    "生产地类别", "生产地类别名称", "计价单位类型", "非处方药标志", "非处方药标志名称", "包装材质", "包装材质名称", "包装规格", "包装数量", "功能主治", "给药途径", "说明书",
    "开始日期", "结束日期", "最小使用单位", "最小销售单位", "最小计量单位", "最小包装数量", "最小包装单位", "最小制剂单位", "最小包装单位名称", "最小制剂单位名称", "转换比",
    "药品有效期", "最小计价单位", "五笔助记码", "拼音助记码", "分包装厂家", "生产企业编号", "生产企业名称", "特殊限价药品标志", "特殊药品标志", "限制使用范围", "限制使用标志",
    "药品注册证号", "药品注册证号开始日期", "药品注册证号结束日期", "批准文号", "批准文号开始日期", "批准文号结束日期", "市场状态", "市场状态名称", "药品注册批件电子档案",
    "药品补充申请批件电子档案", "国家医保药品目录备注", "基本药物标志名称", "基本药物标志", "增值税调整药品标志", "增值税调整药品名称", "上市药品目录集药品", "医保谈判药品标志",
    "医保谈判药品名称", "卫健委药品编码", "备注", "有效标志", "唯一记录号", "数据创建时间", "数据更新时间", "版本号", "版本名称", "儿童用药", "公司名称",
    "仿制药一致性评价药品", "经销企业", "经销企业联系人", "经销企业授权书电子档案", "国家医保药品目录剂型", "国家医保药品目录甲乙类标识",
)

COLUMNS_1302 = (
    "医疗目录编码", "单味药名称", "单复方标志", "质量等级", "中草药年份", "药用部位", "安全计量", "常规用法", "性味", "归经", "品种", "开始日期", "结束日期",
    "有效标志", "唯一记录号", "数据创建时间", "数据更新时间", "版本号", "版本名称", "药材名称", "功能主治", "炮制方法", "功效分类", "药材种来源", "国家医保支付政策",
    "省级医保支付政策", "标准名称", "标准页码",
)

COLUMNS_1305 = (
    "医疗目录编码", "计价单位", "计价单位名称", "诊疗项目说明", "诊疗除外内容", "诊疗项目内涵", "有效标志", "备注", "服务项目类别", "医疗服务项目名称", "项目说明",
    "开始日期", "结束日期", "唯一记录号", "版本号", "版本名称",
)

COLUMNS_1306 = (
    "医疗目录编码", "耗材名称", "医疗器械唯一标识码", "医保通用名代码", "医保通用名", "产品型号", "规格代码", "规格", "耗材分类", "规格型号", "材质代码", "耗材材质",
    "包装规格", "包装数量", "产品包装材质", "包装单位", "产品转换比", "最小使用单位", "生产地类别", "生产地类别名称", "产品标准", "产品有效期", "性能结构与组成", "适用范围",
    "产品使用方法", "产品图片编号", "产品质量标准", "说明书", "其他证明材料", "专机专用标志", "专机名称", "组套名称", "机套标志", "限制使用标志", "医保限用范围",
    "最小销售单位", "高值耗材标志", "医用材料分类代码", "植入材料和人体器官标志", "灭菌标志", "灭菌标志名称", "植入或介入类标志", "植入或介入类名称", "一次性使用标志",
    "一次性使用标志名称", "注册备案人名称", "开始日期", "结束日期", "医疗器械管理类别", "医疗器械管理类别名称", "注册备案号", "注册备案产品名称", "结构及组成", "其他内容",
    "批准日期", "注册备案人住所", "注册证有效期开始时间", "注册证有效期结束时间", "生产企业编号", "生产企业名称", "生产地址", "代理人企业", "代理人企业地址", "生产国或地区",
    "售后服务机构", "注册或备案证电子档案", "产品影像", "有效标志", "唯一记录号", "版本号", "版本名称",
)

COLUMNS = {"1301": COLUMNS_1301, "1302": COLUMNS_1302, "1305": COLUMNS_1305, "1306": COLUMNS_1306}
NAME_COLUMN = {"1301": "药品通用名", "1302": "单味药名称", "1305": "医疗服务项目名称", "1306": "耗材名称"}


def list_type_of(code: str) -> str:
    """The list type (目录类别) of a catalogue code, by how the code is built (module docstring)."""
    code = code.strip().upper()
    if code.startswith(("X", "Z", "YP")):
        return WESTERN
    if code.startswith("T"):
        return HERBAL
    if code.startswith(("C", "HC")):
        return CONSUMABLE
    return SERVICE


def row(infno: str, entry: Mapping[str, Any]) -> list[str]:
    """One file row of a catalogue entry (code, name, category, selfpay_prop, price_cap, essential_drug,
    restriction, effective_from, effective_to, version), in the infno's column order."""
    restriction = entry.get("restriction") or ""
    known = {
        "医疗目录编码": entry["code"], NAME_COLUMN[infno]: entry["name"], "药品商品名": entry["name"],
        "注册名称": entry["name"], "开始日期": _day(entry.get("effective_from")),
        "结束日期": _day(entry.get("effective_to")), "有效标志": "1", "唯一记录号": entry["version"],
        "版本号": entry["version"], "版本名称": f"统筹区医保目录{entry['version']}",
        "限制使用范围": restriction, "医保限用范围": restriction, "限制使用标志": "1" if restriction else "0",
        "基本药物标志": "1" if entry.get("essential_drug") else "0",
        "国家医保药品目录甲乙类标识": CATEGORY_MARK.get(entry.get("category") or "", ""),
        "备注": _remark(entry),
    }
    return [str(known.get(column, "")) for column in COLUMNS[infno]]


def _day(value: Any) -> str:
    return value.isoformat() if value else ""


def _remark(entry: Mapping[str, Any]) -> str:
    parts = [f"{CATEGORY_MARK.get(entry.get('category') or '', '')}类"]
    if entry.get("selfpay_prop") is not None:
        parts.append(f"先行自付比例{entry['selfpay_prop']}")
    if entry.get("price_cap") is not None:
        parts.append(f"支付限价{entry['price_cap']}元")
    return "；".join(parts)


def zipped(filename: str, rows: Iterable[list[str]]) -> bytes:
    """The rows as `filename`.txt (tab-separated lines) inside a zip file."""
    text = "".join("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in cells) + "\n" for cells in rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{filename}.txt", text.encode("utf-8"))
    return buffer.getvalue()
