"""The live slice of the demo: visits settled through the signed institution API, as a HIS would.

Outpatient: 2201 register → 2203 visit information → 2204 fee upload → 2206 pre-settlement → 2207 settlement.
Inpatient: 2401 admission → 2301 fee upload → 2402 discharge → 2303 pre-settlement → 2304 settlement.
Each institution signs with its own secret (`tongchou.client.HsaClient`); the app runs in-process.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

import warnings

import yaml
from rich.console import Console

from tongchou.api.app import create_app
from tongchou.client import HsaClient
from tongchou.money import fen_to_str
from tongchou.policy.registry import Registry
from tongchou.settlement.request import INPATIENT_MED_TYPES, SettleRequest
from tongchou.store.crypto import cipher_from_environment
from tongchou.store.uow import Store

INPATIENT = INPATIENT_MED_TYPES


class LiveError(RuntimeError):
    """An answer with infcode -1 during the live slice."""


def _ok(answer: dict[str, Any]) -> dict[str, Any]:
    if answer.get("infcode") != 0:
        raise LiveError(f"{answer.get('_status')} {answer.get('err_msg')}")
    return answer.get("output") or {}


def _time(day, clock: str) -> str:
    return f"{day.isoformat()} {clock}"


def _fee_lines(req: SettleRequest, mdtrt_id: str, batch: str | None) -> list[dict[str, Any]]:
    lines = []
    for index, item in enumerate(req.items, start=1):
        qty = item.qty if item.qty is not None else Decimal(1)
        price = item.price if item.price is not None else \
            (Decimal(item.amount) / 100 / qty).quantize(Decimal("0.000001"))  # pric: N16,6
        line = {"feedetl_sn": f"{req.key}-{index:03d}", "mdtrt_id": mdtrt_id, "psn_no": req.psn_no,
                "fee_ocur_time": _time(req.enddate, "10:00:00"), "med_list_codg": item.code,
                "medins_list_codg": f"HIS-{item.code}", "det_item_fee_sumamt": fen_to_str(item.amount),
                "cnt": format(qty, "f"), "pric": format(price, "f"), "bilg_dept_codg": "D01",
                "bilg_dept_name": "内科", "bilg_dr_codg": "DR01", "bilg_dr_name": "接诊医生", "hosp_appr_flag": "1"}
        if batch is None:
            line["med_type"] = req.med_type
        else:
            line.update(chrg_bchno=batch, rx_circ_flag="0")
        lines.append(line)
    return lines


def _account_flag(req: SettleRequest) -> str:
    """The personal account is the employees' (310): residents have none, and the API refuses the flag for them."""
    return "1" if req.insutype == "310" else "0"


def _medfee(req: SettleRequest) -> str:
    return fen_to_str(sum(item.amount for item in req.items))


def _outpatient(hsa: HsaClient, req: SettleRequest, cert: dict[str, str]) -> None:
    mdtrt_id = _ok(hsa.call("2201", {"data": {
        "psn_no": req.psn_no, "insutype": req.insutype, "begntime": _time(req.begndate, "09:00:00"), **cert,
        "ipt_otp_no": req.key, "atddr_no": "DR01", "dr_name": "接诊医生", "dept_code": "D01", "dept_name": "内科",
        "caty": "A03"}}))["data"]["mdtrt_id"]
    _ok(hsa.call("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": req.psn_no, "med_type": req.med_type,
                                        "begntime": _time(req.begndate, "09:00:00"), "dise_codg": req.dise_code},
                          "diseinfo": []}))
    _ok(hsa.call("2204", {"feedetail": _fee_lines(req, mdtrt_id, "B1")}))
    data = {"psn_no": req.psn_no, **cert, "med_type": req.med_type, "medfee_sumamt": _medfee(req),
            "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "B1", "acct_used_flag": _account_flag(req),
            "insutype": req.insutype}
    _ok(hsa.call("2206", {"data": data}))
    _ok(hsa.call("2207", {"data": data}))


def _inpatient(hsa: HsaClient, req: SettleRequest, cert: dict[str, str]) -> None:
    mdtrt_id = _ok(hsa.call("2401", {"mdtrtinfo": {
        "psn_no": req.psn_no, "insutype": req.insutype, "begntime": _time(req.begndate, "08:00:00"), **cert,
        "med_type": req.med_type, "ipt_no": req.key, "atddr_no": "DR02", "chfpdr_name": "主诊医师",
        "adm_diag_dscr": "入院诊断", "adm_dept_codg": "D02", "adm_dept_name": "住院部", "adm_bed": "1",
        "dscg_maindiag_code": req.diag_code or req.dise_code or "R69", "dscg_maindiag_name": "主要诊断",
        "oprn_oprt_code": req.oprn_code, "dise_codg": req.dise_code}, "diseinfo": []}))["result"]["mdtrt_id"]
    _ok(hsa.call("2301", {"feedetail": _fee_lines(req, mdtrt_id, None)}))
    _ok(hsa.call("2402", {"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": req.psn_no, "insutype": req.insutype,
                                       "endtime": _time(req.enddate, "10:00:00"), "dscg_dept_codg": "D02",
                                       "dscg_dept_name": "住院部", "dscg_way": "1"}, "diseinfo": []}))
    data = {"psn_no": req.psn_no, **cert, "medfee_sumamt": _medfee(req), "psn_setlway": "01", "mdtrt_id": mdtrt_id,
            "insutype": req.insutype, "acct_used_flag": _account_flag(req), "mid_setl_flag": "0"}
    _ok(hsa.call("2303", {"data": data}))
    _ok(hsa.call("2304", {"data": data}))


def institution_secrets(fixture: dict[str, Any]) -> dict[str, str]:
    return {inst["code"]: inst["secret"] for inst in fixture.get("institutions", [])}


def settle_through_api(store: Store, registry: Registry, requests: list[SettleRequest], fixture_path,
                       id_numbers: dict[str, str], console: Console | None = None,
                       on_progress: Callable[[int], None] | None = None) -> int:
    """Settle `requests` through the signed API; returns how many settled. An answer that refuses is shown
    (the demo goes on: a refusal is the API doing its job, e.g. a waiting period)."""
    fixture = yaml.load(fixture_path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    secrets = institution_secrets(fixture)
    app = create_app(store, registry, cipher_from_environment())
    with warnings.catch_warnings():  # Starlette's test client over httpx: deprecated upstream, fine in-process
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    settled = 0
    clients: dict[str, HsaClient] = {}
    with TestClient(app, base_url="http://tongchou.demo") as http:
        for req in requests:
            hsa = clients.get(req.fixmedins_code)
            if hsa is None:  # one client per institution: its msgid sequence never repeats
                hsa = clients[req.fixmedins_code] = HsaClient(
                    "http://tongchou.demo", req.fixmedins_code, secrets[req.fixmedins_code], admdvs="330600",
                    http=http)
            cert = {"mdtrt_cert_type": "02", "mdtrt_cert_no": id_numbers[req.psn_no]}
            try:
                _ok(hsa.call("9001", {"signIn": {"opter_no": "0001", "ip": "127.0.0.1"}}))
                (_inpatient if req.med_type in INPATIENT else _outpatient)(hsa, req, cert)
                settled += 1
            except LiveError as exc:
                if console is not None:
                    console.print(f"  [yellow]{req.key}[/yellow] 机构接口答复：{exc}")
            if on_progress is not None:
                on_progress(1)
    return settled
