"""Hand-written cases at each rule's edges, as claim contexts, and the same cases as tables for the batch.

Each case is (rule id, expected: bool, claim, history, person, name). The expectations are written
from each rule's public definition in policies/supervision/rules.yaml, not from the rule code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tongchou.supervision.screening import ClaimContext, FeeLine, ItemLimits, PastVisit, PersonFacts

DAY = dt.date(2018, 6, 1)
T0 = dt.datetime(2018, 6, 1, 9, 0)
MALE = PersonFacts("P-M", "1", dt.date(1980, 1, 1))
LIMITS = {
    "YP-F": ItemLimits(sex="2"), "YP-CHILD": ItemLimits(max_age=14), "YP-Q": ItemLimits(max_qty=D(10)),
    "YP-QD": ItemLimits(max_qty_day=D(6)), "FW-CAP": ItemLimits(price_cap=D("60.00")),
}


def line(code, qty="1", price="10.00", time=T0, sn=None, name=""):
    qty, price = D(qty), D(price)
    return FeeLine(code=code, qty=qty, price=price, amount=int(qty * price * 100), time=time, feedetl_sn=sn,
                   name=name, limits=LIMITS.get(code))


def claim(setl_id="S1", *, psn="P-M", inst="H1", med_type="11", begin=DAY, end=None, lines=(), dise=None, begntime=None,
          person=MALE):
    return ClaimContext(psn_no=psn, insutype="390", fixmedins_code=inst, med_type=med_type, begndate=begin,
                        enddate=end or begin, setl_id=setl_id, begntime=begntime, dise_code=dise, county="330602",
                        person=person, lines=tuple(lines), medfee=sum(l.amount for l in lines) or 10000)


def past(setl_id, *, inst="H1", med_type="21", begin, end=None, dise=None, begntime=None, drugs=()):
    return PastVisit(setl_id, inst, med_type, begin, end or begin, begntime, dise, 10000, tuple(drugs))


def days(n):
    return DAY + dt.timedelta(days=n)


def hours(h, m=0):
    return T0 + dt.timedelta(hours=h, minutes=m)


ADM = dict(med_type="21")
CASES = [
    # duplicate charges
    ("duplicate_charge", True, claim(lines=[line("YP1", sn="a"), line("YP1", sn="b")]), [], "同时同量同价两次"),
    ("duplicate_charge", False, claim(lines=[line("YP1", sn="a"), line("YP1", time=hours(0, 1), sn="b")]), [], "时间不同"),
    ("duplicate_charge", False, claim(lines=[line("YP1", sn="a"), line("YP1", qty="2", sn="b")]), [], "数量不同"),
    # overlapping admissions
    ("overlapping_admissions", True, claim("S2", inst="H2", begin=days(3), end=days(6), **ADM),
     [past("S1", begin=days(0), end=days(5))], "重叠"),
    ("overlapping_admissions", False, claim("S2", inst="H2", begin=days(5), end=days(8), **ADM),
     [past("S1", begin=days(0), end=days(5))], "出院当日转院"),
    ("overlapping_admissions", False, claim("S2", inst="H1", begin=days(3), end=days(6), **ADM),
     [past("S1", begin=days(0), end=days(5))], "同一机构"),
    # split admissions
    ("split_admission", True, claim("S2", begin=days(20), end=days(25), dise="J18.9", **ADM),
     [past("S1", begin=days(0), end=days(5), dise="J18.0")], "出院后第15日、同类目"),
    ("split_admission", False, claim("S2", begin=days(21), end=days(25), dise="J18.9", **ADM),
     [past("S1", begin=days(0), end=days(5), dise="J18.0")], "出院后第16日"),
    ("split_admission", False, claim("S2", begin=days(5), end=days(9), dise="J18.9", **ADM),
     [past("S1", begin=days(0), end=days(5), dise="J18.0")], "出院当日再入院（0日）"),
    ("split_admission", False, claim("S2", begin=days(10), end=days(12), dise="K35.8", **ADM),
     [past("S1", begin=days(0), end=days(5), dise="J18.0")], "诊断不相关"),
    ("split_admission", True, claim("S2", begin=days(6), end=days(9), **ADM),
     [past("S1", begin=days(0), end=days(5))], "诊断缺失按相关"),
    ("split_admission", False, claim("S2", inst="H2", begin=days(6), end=days(9), **ADM),
     [past("S1", begin=days(0), end=days(5))], "不同机构"),
    # phantom bed days
    ("phantom_bed_days", True, claim(begin=days(0), end=days(6), lines=[
        line("FW-BED", qty="6", price="25.00", name="一级医院床位费"), line("YP1", time=hours(1)),
        line("YP2", time=hours(73)), line("FW-BED", time=hours(30), price="25.00", name="一级医院床位费")], **ADM),
     [], "72小时仅床位费"),
    ("phantom_bed_days", False, claim(begin=days(0), end=days(6), lines=[
        line("YP1", time=hours(1)), line("YP2", time=hours(72, -1))], **ADM), [], "71小时59分"),
    # sex / age
    ("sex_age_conflict", True, claim(lines=[line("YP-F", sn="a")]), [], "限女性项目用于男性"),
    ("sex_age_conflict", False, claim(lines=[line("YP-CHILD", sn="a")], person=PersonFacts("P-C", "1", dt.date(2003, 6, 2)),
                                       psn="P-C"), [], "14岁（限14岁及以下）"),
    ("sex_age_conflict", True, claim(lines=[line("YP-CHILD", sn="a")], person=PersonFacts("P-C", "1", dt.date(2003, 6, 1)),
                                      psn="P-C"), [], "生日当天满15岁"),
    ("sex_age_conflict", True, claim(dise="O80.0"), [], "男性的产科诊断"),
    # quantity
    ("quantity_above_limit", False, claim(lines=[line("YP-Q", qty="10", sn="a")]), [], "等于上限"),
    ("quantity_above_limit", True, claim(lines=[line("YP-Q", qty="11", sn="a")]), [], "超过上限"),
    ("quantity_above_limit", True, claim(lines=[line("YP-QD", qty="4", sn="a"), line("YP-QD", qty="3", time=hours(2), sn="b")]),
     [], "同日合计超过日上限"),
    ("quantity_above_limit", False, claim(end=days(1), lines=[line("YP-QD", qty="4", sn="a"),
                                                              line("YP-QD", qty="3", time=hours(24), sn="b")]),
     [], "分在两日"),
    # price
    ("price_above_cap", False, claim(lines=[line("FW-CAP", price="60.00", sn="a")]), [], "等于限价"),
    ("price_above_cap", True, claim(lines=[line("FW-CAP", price="60.01", sn="a")]), [], "高于限价1分"),
    # credential
    ("credential_two_institutions", True, claim("S2", inst="H2", begntime=hours(0, 29)),
     [past("S1", med_type="11", begin=DAY, begntime=T0)], "29分钟、两家机构"),
    ("credential_two_institutions", False, claim("S2", inst="H2", begntime=hours(0, 30)),
     [past("S1", med_type="11", begin=DAY, begntime=T0)], "整30分钟"),
    ("credential_two_institutions", False, claim("S2", inst="H1", begntime=hours(0, 5)),
     [past("S1", med_type="11", begin=DAY, begntime=T0)], "同一机构"),
    # frequent purchases
    ("frequent_drug_purchase", True, claim("S4", begin=days(29), lines=[line("YP9")]),
     [past(f"S{i}", med_type="11", begin=days(d), drugs=["YP9"]) for i, d in ((1, 0), (2, 10), (3, 20))], "30日内第4次"),
    ("frequent_drug_purchase", False, claim("S4", begin=days(30), lines=[line("YP9")]),
     [past(f"S{i}", med_type="11", begin=days(d), drugs=["YP9"]) for i, d in ((1, 0), (2, 10), (3, 20))], "跨31日"),
    ("frequent_drug_purchase", False, claim("S4", begin=days(29), lines=[line("YP9")]),
     [past(f"S{i}", med_type="11", begin=days(d), drugs=["YP9"]) for i, d in ((2, 10), (3, 20))], "30日内3次"),
]


FEE_SCHEMA = pa.schema([("setl_id", pa.string()), ("feedetl_sn", pa.string()), ("fee_ocur_time", pa.timestamp("us")),
                        ("med_list_codg", pa.string()), ("med_list_name", pa.string()), ("cnt", pa.string()),
                        ("pric", pa.string()), ("det_item_fee_sumamt", pa.string())])


def write_case_tables(directory: Path, case_claim: ClaimContext, history: list[PastVisit]) -> dict[str, Path]:
    """The case as the batch's input tables (claims, fee detail, persons, catalogue)."""
    directory.mkdir(parents=True, exist_ok=True)
    claims = [{"setl_id": case_claim.setl_id, "psn_no": case_claim.psn_no, "insutype": "390", "county_admdvs": "330602",
               "fixmedins_code": case_claim.fixmedins_code, "admin_tier": "county", "med_type": case_claim.med_type,
               "dise_code": case_claim.dise_code, "begndate": case_claim.begndate, "enddate": case_claim.enddate,
               "begntime": case_claim.begntime, "medfee_sumamt": "100.00"}]
    fees = [{"setl_id": case_claim.setl_id, "feedetl_sn": l.feedetl_sn or f"{case_claim.setl_id}-{i}",
             "fee_ocur_time": l.time, "med_list_codg": l.code, "med_list_name": l.name, "cnt": str(l.qty),
             "pric": str(l.price), "det_item_fee_sumamt": str(D(l.amount) / 100)} for i, l in enumerate(case_claim.lines)]
    for p in history:
        claims.append({"setl_id": p.setl_id, "psn_no": case_claim.psn_no, "insutype": "390", "county_admdvs": "330602",
                       "fixmedins_code": p.fixmedins_code, "admin_tier": "county", "med_type": p.med_type,
                       "dise_code": p.dise_code, "begndate": p.begndate, "enddate": p.enddate, "begntime": p.begntime,
                       "medfee_sumamt": "100.00"})
        fees += [{"setl_id": p.setl_id, "feedetl_sn": f"{p.setl_id}-{code}", "fee_ocur_time": None, "med_list_codg": code,
                  "med_list_name": "", "cnt": "1", "pric": "10.00", "det_item_fee_sumamt": "10.00"} for code in p.drug_codes]
    person = case_claim.person
    persons = [{"psn_no": person.psn_no, "sex": person.sex, "birth_date": person.birth_date, "phone": None}]
    catalogue = [{"code": code, "price_cap": str(l.price_cap) if l.price_cap is not None else None,
                  "max_qty": str(l.max_qty) if l.max_qty is not None else None,
                  "max_qty_day": str(l.max_qty_day) if l.max_qty_day is not None else None,
                  "sex": l.sex or "", "min_age": l.min_age, "max_age": l.max_age} for code, l in LIMITS.items()]
    paths = {}
    for name, rows in (("claims", claims), ("fees", fees), ("persons", persons), ("catalogue", catalogue)):
        paths[name] = directory / f"{name}.parquet"
        table = pa.Table.from_pylist(rows, schema=FEE_SCHEMA if name == "fees" else None)
        pq.write_table(table, paths[name])
    return paths
