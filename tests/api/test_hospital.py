"""What a hospital also needs (issue 17, item 8): catalogue download (1301, 1302, 1305, 1306) through 9102,
item mapping upload and cancellation (3301, 3302) with fee uploads accepting the hospital's code through the
mapping, and settlement lists (4101, 4101A) whose main diagnosis and procedure DIP grouping then uses."""

from __future__ import annotations

import base64
import datetime as dt
import io
import zipfile

from sqlalchemy import select

from tests.api.flows import (
    DAY, admission_input, discharge, fee, inpatient_fee, inpatient_settle_input, ok, refused, register,
)
from tests.store.support import TEST_CIPHER
from tongchou.api import catalogue_files, hospital
from tongchou.clearing import service
from tongchou.clearing.dip import catalogue_index
from tongchou.clearing.rules import load_rules
from tongchou.store import models as m
from tongchou.region.fixture import load_fixture, parse_fixture

NATIONAL_CATALOGUE = """
region: {admdvs: "371525", name: 冠县}
catalogue:
  - {code: XA01ABC001, name: 奥美拉唑肠溶胶囊, category: A, essential_drug: true}
  - {code: ZA01AAB002, name: 连花清瘟胶囊, category: B, selfpay_prop: "0.05", restriction: 限急性病毒性感冒}
  - {code: "001101000010000", name: 普通门诊诊查费, category: A, price_cap: "8.00"}
  - {code: C01010101001, name: 一次性输液器, category: B, selfpay_prop: "0.20"}
"""


def downloaded(hsa, infno: str, ver: str = "0") -> tuple[dict, list[list[str]]]:
    out = ok(hsa.call(infno, {"data": {"ver": ver}}))
    file = ok(hsa.call("9102", {"fsDownloadIn": {"file_qury_no": out["file_qury_no"], "filename": out["filename"],
                                                 "fixmedins_code": hsa.code}}))["data"]["file"]
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(file))) as archive:
        (name,) = archive.namelist()
        text = archive.read(name).decode("utf-8")
    return out, [line.split("\t") for line in text.splitlines()]


def test_the_catalogue_files_list_each_kind_in_the_national_columns(hsa, store):
    load_fixture(store, parse_fixture(NATIONAL_CATALOGUE), cipher=TEST_CIPHER)
    out, rows = downloaded(hsa, "1301")
    assert out["data_cnt"] == 2 and out["filename"].startswith("1301_") and out["dld_end_time"]
    assert [len(r) for r in rows] == [92, 92]
    column = catalogue_files.COLUMNS_1301.index
    first = {name: rows[0][column(name)] for name in ("医疗目录编码", "药品通用名", "基本药物标志",
                                                      "国家医保药品目录甲乙类标识", "有效标志")}
    assert first == {"医疗目录编码": "XA01ABC001", "药品通用名": "奥美拉唑肠溶胶囊", "基本药物标志": "1",
                     "国家医保药品目录甲乙类标识": "甲", "有效标志": "1"}
    assert rows[1][column("限制使用范围")] == "限急性病毒性感冒" and rows[1][column("限制使用标志")] == "1"
    _, services = downloaded(hsa, "1305")
    assert ("001101000010000", 16) in [(r[0], len(r)) for r in services]
    _, consumables = downloaded(hsa, "1306")
    assert ("C01010101001", 71) in [(r[0], len(r)) for r in consumables]  # (and the test regions' C-codes)
    _, herbal = downloaded(hsa, "1302")  # the test region's T-codes read as herbal pieces (catalogue_files)
    assert {r[0] for r in herbal} >= {"T000001", "T000002"} and {len(r) for r in herbal} == {28}

    latest = rows[1][column("版本号")]
    again, newer = downloaded(hsa, "1301", ver=latest)
    assert again["data_cnt"] == 0 and newer == []
    refused(hsa.call("1301", {"data": {"ver": "v1"}}), "ver")


def mapping(hilist_id: str, code: str, begndate: str = "2018-01-01", **extra) -> dict:
    return {"data": {"fixmedins_hilist_id": hilist_id, "fixmedins_hilist_name": "医院自编药品", "list_type": "101",
                     "med_list_codg": code, "begndate": begndate, "enddate": "", **extra}}


def test_a_mapped_hospital_code_is_accepted_in_fee_uploads(hsa, township, store):
    ok(hsa.call("3301", mapping("HIS-0001", "T000002")))
    refused(hsa.call("3301", mapping("HIS-0001", "T000001")), "fixmedins_hilist_id", "3302")
    refused(hsa.call("3301", mapping("HIS-0002", "NOT-IN-CATALOGUE")), "med_list_codg")
    mdtrt_id = register(hsa)
    result = ok(hsa.call("2204", {"feedetail": [
        fee("F1", mdtrt_id, "HIS-0001", "80.00", medins_list_codg="HIS-0001"),  # the hospital's code in both
        fee("F2", mdtrt_id, "T000002", "20.00", medins_list_codg="HIS-0001")]}))["result"]
    assert [r["chrgitm_lv"] for r in result] == ["01", "01"]
    codes = store.read(lambda s: s.execute(select(m.ApiFee.code).order_by(m.ApiFee.id)).scalars().all())
    assert codes == ["T000002", "T000002"]
    refused(hsa.call("2204", {"feedetail": [fee("F3", mdtrt_id, "T000001", "5.00", medins_list_codg="HIS-0001")]}),
            "feedetail[0].med_list_codg")
    day = dt.date(2018, 5, 10)
    assert store.read(lambda s: hospital.catalogue_codes(s, township.code, [("HIS-0001", "HIS-0001", day)])) == [
        "HIS-0001"]  # a mapping is the institution's own

    cancel = {"data": {"fixmedins_code": hsa.code, "fixmedins_hilist_id": "HIS-0001", "list_type": "101",
                       "med_list_codg": "T000002"}}
    other = township.call("3302", {"data": {**cancel["data"]}})
    assert other["_status"] == 403
    ok(hsa.call("3302", cancel))
    refused(hsa.call("3302", cancel), "fixmedins_hilist_id")
    refused(hsa.call("2204", {"feedetail": [fee("F4", mdtrt_id, "HIS-0001", "5.00", medins_list_codg="HIS-0001")]}),
            "feedetail[0].med_list_codg")


def test_a_mapping_holds_from_its_start_date(hsa):
    ok(hsa.call("3301", mapping("HIS-0009", "T000002", begndate="2018-06-01")))
    mdtrt_id = register(hsa)
    refused(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "HIS-0009", "5.00", medins_list_codg="HIS-0009")]}),
            "med_list_codg")  # DAY is 2018-05-10, before the mapping
    assert DAY < "2018-06-01"


def settlement_list(setl_id: str, mdtrt_id: str, diag: str, oprn: str | None, psn_no: str = "GX0001") -> dict:
    return {"setlinfo": {"psn_no": psn_no, "mdtrt_id": mdtrt_id, "setl_id": setl_id, "coner_name": "张小三",
                         "coner_tel": "13900000000", "hi_paymtd": "1"},
            "diseinfo": [{"diag_type": "1", "diag_code": "J18.9", "diag_name": "肺炎", "maindiag_flag": "0"},
                         {"diag_type": "1", "diag_code": diag, "diag_name": "主要诊断", "maindiag_flag": "1"}],
            "oprninfo": [{"oprn_oprt_type": "1", "oprn_oprt_code": oprn, "oprn_oprt_name": "主要手术"}] if oprn else []}


def test_the_settlement_list_gives_dip_its_diagnosis_and_procedure(hsa, township, store):
    mdtrt_id = ok(hsa.call("2401", admission_input()))["result"]["mdtrt_id"]
    ok(hsa.call("2301", {"feedetail": [inpatient_fee("I1", mdtrt_id, "T000002", "13000.00")]}))
    discharge(hsa, mdtrt_id)
    setl_id = ok(hsa.call("2304", inpatient_settle_input(mdtrt_id, "13000.00")))["setlinfo"]["setl_id"]
    rules = load_rules()
    index = catalogue_index(rules.dip)

    def group() -> str:
        def work(s):
            row = s.execute(select(m.Settlement).where(m.Settlement.setl_id == setl_id)).scalar_one()
            return service.dip_case(row, rules, index, service.listed_codes(s, [setl_id]).get(setl_id)).group_code
        return store.read(work)

    assert group() != "D013"  # before the list: the admission's J18.9, no procedure
    out = ok(hsa.call("4101A", settlement_list(setl_id, mdtrt_id, "K35.8", "47.01")))
    assert out["setl_list_id"]
    assert store.read(lambda s: service.listed_codes(s, [setl_id])) == {setl_id: ("K35.8", "47.01")}
    assert group() == "D013"  # 腹腔镜阑尾切除
    ok(hsa.call("4101", settlement_list(setl_id, mdtrt_id, "J44.1", None)))  # sent again: replaces
    assert store.read(lambda s: service.listed_codes(s, [setl_id])) == {setl_id: ("J44.1", None)}
    info = store.read(lambda s: s.execute(select(m.SetlList.info)).scalar_one())
    assert info["coner_name"] == "张**" and info["coner_tel"] == "139****0000"

    assert township.call("4101", settlement_list(setl_id, mdtrt_id, "K35.8", None))["_status"] == 403
    refused(hsa.call("4101", settlement_list("ST-NONE", mdtrt_id, "K35.8", None)), "setl_id")
    refused(hsa.call("4101", settlement_list(setl_id, mdtrt_id, "K35.8", None, psn_no="GX0002")), "setl_id")
    bad = settlement_list(setl_id, mdtrt_id, "K35.8", None)
    bad["diseinfo"][1]["diag_code"] = "K" * 21
    refused(hsa.call("4101", bad), "diseinfo[1].diag_code")
