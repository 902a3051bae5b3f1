"""3201 totals and 3202 details (file uploaded with 9101, result downloaded with 9102)."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
from decimal import Decimal

from tests.api.flows import fee, ok, register, settle_input

TODAY = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()


def settle(hsa, amount: str) -> dict:
    mdtrt_id = register(hsa)
    ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", amount)]}))
    return ok(hsa.call("2207", settle_input(mdtrt_id, amount)))["setlinfo"]


def totals_input(medfee: Decimal, fund: Decimal, count: int) -> dict:
    return {"data": {"insutype": "390", "clr_type": "11", "setl_optins": "371525", "stmt_begndate": TODAY,
                     "stmt_enddate": TODAY, "medfee_sumamt": str(medfee), "fund_pay_sumamt": str(fund),
                     "acct_pay": "0", "fixmedins_setl_cnt": count}}


def test_totals_reconciliation_matches_the_settlements(hsa):
    first, second, cancelled = settle(hsa, "80.00"), settle(hsa, "120.00"), settle(hsa, "50.00")
    ok(hsa.call("2208", {"data": {"setl_id": cancelled["setl_id"], "mdtrt_id": cancelled["mdtrt_id"],
                                  "psn_no": "GX0001"}}))
    medfee = first["medfee_sumamt"] + second["medfee_sumamt"]
    fund = first["fund_pay_sumamt"] + second["fund_pay_sumamt"]
    match = ok(hsa.call("3201", totals_input(medfee, fund, 2)))["stmtinfo"]
    assert match["stmt_rslt"] == "0", match
    mismatch = ok(hsa.call("3201", totals_input(medfee + 1, fund, 3)))["stmtinfo"]
    assert mismatch["stmt_rslt"] == "1"
    assert "medfee_sumamt" in mismatch["stmt_rslt_dscr"] and "fixmedins_setl_cnt" in mismatch["stmt_rslt_dscr"]
    assert "fund_pay_sumamt" not in mismatch["stmt_rslt_dscr"]


def test_detail_reconciliation_lists_the_differences(hsa, township):
    first, second = settle(hsa, "80.00"), settle(hsa, "120.00")
    lines = ["setl_id,mdtrt_id,psn_no,medfee_sumamt,fund_pay_sumamt,acct_pay,refd_setl_flag",
             f"{first['setl_id']},{first['mdtrt_id']},GX0001,{first['medfee_sumamt']},{first['fund_pay_sumamt']},0,0",
             f"{second['setl_id']},{second['mdtrt_id']},GX0001,999.00,{second['fund_pay_sumamt']},0,0",
             "ST-UNKNOWN,M0,GX0001,1.00,0,0,0"]
    content = base64.b64encode("\n".join(lines).encode()).decode()
    upload = ok(hsa.call("9101", {"fsUploadIn": {"in": content, "filename": "detail.csv",
                                                 "fixmedins_code": "H37152500001"}}))["data"]
    total_medfee = first["medfee_sumamt"] + second["medfee_sumamt"]
    fileinfo = ok(hsa.call("3202", {"data": {
        "setl_optins": "371525", "file_qury_no": upload["file_qury_no"], "stmt_begndate": TODAY,
        "stmt_enddate": TODAY, "medfee_sumamt": str(total_medfee),
        "fund_pay_sumamt": str(first["fund_pay_sumamt"] + second["fund_pay_sumamt"]),
        "cash_payamt": str(first["psn_cash_pay"] + second["psn_cash_pay"]), "fixmedins_setl_cnt": 2}}))["fileinfo"]
    assert fileinfo["filename"].endswith(".csv") and fileinfo["dld_endtime"]
    download = ok(hsa.call("9102", {"fsDownloadIn": {"file_qury_no": fileinfo["file_qury_no"],
                                                     "filename": fileinfo["filename"],
                                                     "fixmedins_code": "H37152500001"}}))["data"]
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(download["file"]).decode())))
    by_id = {row["setl_id"]: row for row in rows}
    assert set(by_id) == {second["setl_id"], "ST-UNKNOWN"}
    assert "medfee_sumamt" in by_id[second["setl_id"]]["stmt_rslt_dscr"]
    assert "999.00" in by_id[second["setl_id"]]["stmt_rslt_dscr"]
    # another institution can neither read the file nor upload in this one's name
    other = township.call("9102", {"fsDownloadIn": {"file_qury_no": fileinfo["file_qury_no"],
                                                     "filename": fileinfo["filename"],
                                                     "fixmedins_code": "H37152500002"}})
    assert other["infcode"] == -1 and other["_status"] == 200
    assert township.call("9101", {"fsUploadIn": {"in": content, "filename": "x.csv",
                                                 "fixmedins_code": "H37152500001"}})["_status"] == 403
