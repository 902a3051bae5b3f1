"""A small client of the institution API: builds the national envelope and msgid, signs, posts.

    from tongchou.client import HsaClient

    with HsaClient("http://127.0.0.1:8000", "H37152500001", "the-secret") as hsa:
        answer = hsa.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "3715..."}})
        if answer["infcode"] != 0:
            print(answer["err_msg"])

`call` returns the answer envelope as a dict (amounts as `Decimal`); `answer["_msgid"]` is the msgid
sent, for a reversal (2601) after a lost answer. Send the same message again after a timeout with
`call(..., msgid=that_msgid)`: the server gives the first answer again.

As HIS vendors build requests: `HsaClient(..., signature="gateway", fill=True)` signs by the national
gateway's recipe (for an institution the bureau set to it) and sends every field of every input node the
national interface lists (`tongchou.client_fields`), those not given (or given as None) as `""`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from decimal import Decimal
from typing import Any

import httpx

from tongchou.api.signing import HMAC, sign_headers
from tongchou.client_fields import NATIONAL_INPUT

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, dt.datetime) else value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class HsaClient:
    """Signs and sends national interface messages for one institution."""

    def __init__(self, base_url: str, code: str, secret: str, *, name: str = "", admdvs: str = "000000",
                 opter: str = "0001", opter_name: str = "接口", timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None, http: httpx.Client | None = None,
                 signature: str = HMAC, fill: bool = False):
        self.code = code
        self.secret = secret
        self.signature = signature
        self.fill = fill
        self.name = name or code
        self.admdvs = admdvs
        self.opter = opter
        self.opter_name = opter_name
        self.sign_no: str | None = None
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout, transport=transport)
        self._owns_http = http is None
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()

    def __enter__(self) -> HsaClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def new_msgid(self) -> str:
        """Institution code (12) + yyyyMMddHHmmss (14) + sequence (4) — unique per client run while
        fewer than 10,000 messages are sent in one second."""
        with self._lock:
            sequence = next(self._sequence) % 10_000
        return f"{self.code[:12]:<12}{dt.datetime.now(SHANGHAI):%Y%m%d%H%M%S}{sequence:04d}"

    def envelope(self, infno: str, input: dict[str, Any], **fields: Any) -> dict[str, Any]:
        if self.fill:
            input = filled(infno, input)
        body = {
            "infno": infno, "msgid": self.new_msgid(), "mdtrtarea_admvs": self.admdvs,
            "insuplc_admdvs": self.admdvs, "recer_sys_code": "YBXT", "dev_no": "", "dev_safe_info": "",
            "cainfo": "", "signtype": "", "infver": "V1.0", "opter_type": "1", "opter": self.opter,
            "opter_name": self.opter_name, "inf_time": dt.datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            "fixmedins_code": self.code, "fixmedins_name": self.name, "sign_no": self.sign_no or "",
            "input": input,
        }
        body.update(fields)
        return body

    def call(self, infno: str, input: dict[str, Any], **envelope: Any) -> dict[str, Any]:
        """Send one message; envelope fields given as keywords override the defaults (e.g. msgid)."""
        body = self.envelope(infno, input, **envelope)
        raw = json.dumps(body, ensure_ascii=False, default=_json_default).encode("utf-8")
        response = self._http.post(f"/api/hsa/{infno}", content=raw, headers={
            "content-type": "application/json", **sign_headers(self.code, self.secret, raw, recipe=self.signature)})
        answer = json.loads(response.content, parse_float=Decimal)
        answer["_status"] = response.status_code
        answer["_msgid"] = body["msgid"]
        if infno == "9001" and answer.get("infcode") == 0:
            self.sign_no = answer["output"]["signinoutb"]["sign_no"]
        return answer


def filled(infno: str, input: dict[str, Any]) -> dict[str, Any]:
    """`input` with every field the national interface lists for its nodes, `""` where not given (a node
    given as a list has each of its records filled); nodes and fields not listed are kept as they are."""
    nodes = NATIONAL_INPUT.get(infno, {})
    out = dict(input)
    for node, (_kind, names) in nodes.items():
        value = out.get(node)
        if isinstance(value, list):
            out[node] = [_fill_record(record, names) for record in value]
        elif isinstance(value, dict):
            out[node] = _fill_record(value, names)
    return out


def _fill_record(record: Any, names: tuple[str, ...]) -> Any:
    if not isinstance(record, dict):
        return record
    given = {name: "" if value is None else value for name, value in record.items()}
    return {**{name: "" for name in names}, **given}
