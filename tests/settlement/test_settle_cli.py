"""`tongchou settle` as docs/reference/contracts.md says: one output line per input line, errors per line."""

import json
from decimal import Decimal

from typer.testing import CliRunner

from tongchou.cli import app

BASE = {"psn_no": "P1", "insutype": 390, "insuplc_admdvs": "371525", "med_type": 21, "begndate": "2018-03-01",
        "enddate": "2018-03-05", "hosp_lv": 2, "admin_tier": "county", "medfee_sumamt": "10000.00",
        "fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 10000}


def run(tmp_path, lines):
    claims = tmp_path / "claims.jsonl"
    claims.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["settle", "--input", str(claims), "--output", str(out)])
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    refused = any("error" in record for record in records)
    assert result.exit_code == (1 if refused else 0), result.output  # contracts.md: 1 when any line was refused
    return records


def claim(**changes):
    return json.dumps({**BASE, **changes}, ensure_ascii=False)


def test_one_line_out_per_line_in_with_errors_in_place(tmp_path):
    out = run(tmp_path, [
        claim(setl_id="S1"),
        "{not json",
        claim(setl_id="S2", hosp_lv="x"),
        claim(setl_id="S1"),
        claim(setl_id="S3", inscp_scp_amt="-1"),
        claim(setl_id="S4", enddate="2030-01-01", begndate="2030-01-01"),
        json.dumps({k: v for k, v in {**BASE, "setl_id": "S5"}.items() if k != "psn_no"}),
        claim(setl_id="S6", medfee_sumamt=None, items=[{"code": "B", "category": "B", "amount": 10}]),
        claim(setl_id="S7"),
    ])
    assert len(out) == 9
    assert out[0]["hifp_pay"] == "6650.00"
    assert out[1]["error"]["code"] == "invalid_json" and out[1]["line"] == 2
    assert out[2]["error"] == {"code": "invalid_field", "field": "hosp_lv", "message": out[2]["error"]["message"]}
    assert out[3]["error"]["code"] == "duplicate_setl_id"
    assert out[4]["error"]["code"] == "negative_amount" and out[4]["error"]["field"] == "inscp_scp_amt"
    assert out[5]["error"]["code"] == "no_policy"
    assert out[6]["error"] == {"code": "missing_field", "field": "psn_no", "message": "缺少必填字段 psn_no"}
    assert out[7]["error"]["code"] == "missing_selfpay_prop" and out[7]["error"]["field"] == "items[0].selfpay_prop"
    # the second good admission of P1 is the second of the year: the deductible is halved
    assert out[8]["act_pay_dedc"] == "250.00"
    assert out[8]["ytd_after"]["counters"] == {"admissions": 2}


def test_year_to_date_state_carries_and_can_be_given(tmp_path):
    first, = run(tmp_path, [claim(setl_id="S1")])
    again = run(tmp_path, [claim(setl_id="S2", ytd=first["ytd_after"])])
    assert again[0]["act_pay_dedc"] == "250.00"


def test_state_is_kept_per_person_scheme_and_year(tmp_path):
    out = run(tmp_path, [claim(setl_id="S1"), claim(setl_id="S2", psn_no="P2"),
                         claim(setl_id="S3", begndate="2019-01-02", enddate="2019-01-03", policy_id=None,
                               insuplc_admdvs="371525")])
    assert out[1]["act_pay_dedc"] == "500.00"
    assert out[2]["error"]["code"] == "no_policy"  # no 2019 version: a new year never reuses 2018's


def test_codes_are_written_as_strings_and_amounts_as_decimal_strings(tmp_path):
    out, = run(tmp_path, [claim(setl_id=7)])
    assert out["setl_id"] == "7"
    assert all(isinstance(out[f], str) and Decimal(out[f]) == Decimal(out[f]).quantize(Decimal("0.01"))
               for f in ("medfee_sumamt", "hifp_pay", "psn_cash_pay"))
    assert out["explanation"] and all("text" in step for step in out["explanation"])


def test_split_amounts_that_do_not_add_up_are_refused(tmp_path):
    out, = run(tmp_path, [claim(setl_id="S1", medfee_sumamt="9999.99")])
    assert out["error"]["field"] == "medfee_sumamt"


def test_an_amount_with_three_decimals_is_refused(tmp_path):
    out, = run(tmp_path, [claim(setl_id="S1", medfee_sumamt="10000.001")])
    assert out["error"]["field"] == "medfee_sumamt"


def test_a_code_outside_its_national_table_is_a_malformed_field(tmp_path):
    out, = run(tmp_path, [claim(setl_id="S1", med_type="99")])
    assert out["error"]["code"] == "invalid_field" and out["error"]["field"] == "med_type"
    assert "医疗类别" in out["error"]["message"]


def test_a_national_code_no_line_covers_is_a_settlement_without_fund_payment(tmp_path):
    out, = run(tmp_path, [claim(setl_id="S1", med_type="51", begndate="2018-03-01", enddate="2018-03-01")])
    assert "error" not in out
    assert out["fund_pay_sumamt"] == "0.00" and out["hifp_pay"] == "0.00"
    assert out["psn_part_amt"] == "10000.00"
    assert out["explanation"]


def test_every_error_message_is_chinese_and_the_exit_status_is_1_when_all_fail(tmp_path):
    claims = tmp_path / "claims.jsonl"
    claims.write_text("\n".join([
        "{not json", "[1]", claim(setl_id="S1", hosp_lv="x"), claim(setl_id="S2", enddate="2018-02-01"),
        claim(setl_id="S3", begndate="2018-02-30"), claim(setl_id="S4", inscp_scp_amt="1.001"),
        claim(setl_id="S5", medfee_sumamt=None), claim(setl_id="S6", med_type="99"),
        claim(setl_id="S7", items=[{"code": "X", "category": "D", "amount": 1}], medfee_sumamt=None),
        claim(setl_id="S8", ytd={"caps_used": "x"}), claim(setl_id="S9", insuplc_admdvs="999999"),
    ]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["settle", "--input", str(claims), "--output", str(out)])
    assert result.exit_code == 1
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in records] == list(range(1, 12))
    for record in records:
        message = record["error"]["message"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
        assert not any(word in message for word in ("Value error", "Input should", "is required", "not valid")), message
    assert "拒绝 11 条" in result.output
