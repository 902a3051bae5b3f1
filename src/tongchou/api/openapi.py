"""The OpenAPI document: one operation per transaction (`POST /api/hsa/{infno}` with the infno written
out, e.g. `/api/hsa/2207`) whose request body is the envelope with that infno's `input` model from
`api.wire`, and `POST /api/hsa` whose body is any of them, told apart by `infno`.

The routes read the raw body themselves (the signature covers its bytes), so the document is built
here from the wire models rather than from route signatures.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from pydantic import Field, create_model
from pydantic.json_schema import models_json_schema

from tongchou.api import wire
from tongchou.api.registry import INPUTS
from tongchou.api.signing import HEADERS

TITLES = {
    "9001": "签到 sign-in", "1101": "人员信息获取 person and insurance information",
    "2201": "门诊挂号 outpatient registration", "2202": "门诊挂号撤销 registration cancellation",
    "2203": "门诊就诊信息上传 outpatient visit information", "2204": "门诊费用明细上传 outpatient fee upload",
    "2205": "门诊费用明细撤销 outpatient fee cancellation", "2206": "门诊预结算 outpatient pre-settlement",
    "2207": "门诊结算 outpatient settlement", "2208": "门诊结算撤销 outpatient settlement cancellation",
    "2301": "住院费用明细上传 inpatient fee upload", "2302": "住院费用明细撤销 inpatient fee cancellation",
    "2303": "住院预结算 inpatient pre-settlement", "2304": "住院结算 inpatient settlement",
    "2305": "住院结算撤销 inpatient settlement cancellation", "2401": "入院办理 admission",
    "2402": "出院办理 discharge", "2404": "入院撤销 admission cancellation", "2405": "出院撤销 discharge cancellation",
    "2601": "冲正交易 reversal", "3201": "对总账 totals reconciliation", "3202": "对明细账 detail reconciliation",
    "9101": "文件上传 file upload", "9102": "文件下载 file download", "5203": "结算信息查询 settlement query",
    "5204": "费用明细查询 fee detail query", "5206": "人员累计信息查询 accumulation query",
    "1301": "西药中成药目录下载 western and Chinese patent drug catalogue download",
    "1302": "中药饮片目录下载 herbal pieces catalogue download",
    "1305": "医疗服务项目目录下载 medical service item catalogue download",
    "1306": "医用耗材目录下载 consumables catalogue download",
    "3301": "目录对照上传 item mapping upload", "3302": "目录对照撤销 item mapping cancellation",
    "4101": "医疗保障基金结算清单信息上传 settlement list upload",
    "4101A": "医疗保障基金结算清单信息上传（简版） settlement list upload (short form)",
}


def request_models() -> dict[str, type]:
    """The request envelope of each infno: `Envelope` with `infno` fixed and `input` typed."""
    models = {}
    for infno, input_model in INPUTS.items():
        models[infno] = create_model(
            f"Request{infno}", __base__=wire.Envelope,
            infno=(Literal[infno], Field(description=f"交易编号 {infno}")),  # type: ignore[valid-type]
            input=(input_model, Field(description=f"{TITLES[infno]}: the transaction's input nodes")))
    return models


RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Response envelope",
    "required": ["infcode", "inf_refmsgid", "refmsg_time", "respond_time", "err_msg", "output"],
    "properties": {
        "infcode": {"type": "integer", "enum": [0, -1], "description": "0 success, -1 failure"},
        "inf_refmsgid": {"type": "string", "pattern": r"^\d{30}$",
                         "description": "receiver division (6) + yyyyMMddHHmmss (14) + serial (10)"},
        "refmsg_time": {"type": "string", "pattern": r"^\d{17}$", "description": "yyyyMMddHHmmssSSS"},
        "respond_time": {"type": "string", "pattern": r"^\d{17}$", "description": "yyyyMMddHHmmssSSS"},
        "err_msg": {"type": ["string", "null"], "maxLength": 200,
                    "description": "the reason of a failure: the national field or rule, in Chinese"},
        "output": {"description": "the transaction's output nodes (null on failure)",
                   "anyOf": [{"type": "object"}, {"type": "array"}, {"type": "null"}]},
        "warn_msg": {"type": "string"},
    },
}

_HEADER_TEXT = {
    "x-tif-paasid": "institution code (fixmedins_code)",
    "x-tif-timestamp": "Unix seconds, decimal; within 300 s of the server's clock",
    "x-tif-nonce": "16 to 64 characters, never reused within the window",
    "x-tif-signature": "lowercase hex HMAC-SHA256(secret, timestamp + nonce + sha256hex(raw body))",
}


def _responses() -> dict[str, Any]:
    envelope = {"application/json": {"schema": {"$ref": "#/components/schemas/ResponseEnvelope"}}}
    texts = {"200": "the answer: infcode 0, or -1 with err_msg naming the field or rule",
             "401": "not signed, signed wrongly, outside the 300-second window, or replayed (infcode -1)",
             "403": "an institution acting for another (infcode -1)",
             "413": "body over 1 MiB (infcode -1)", "429": "rate limit of the institution (infcode -1)"}
    return {code: {"description": text, "content": envelope} for code, text in texts.items()}


def _parameters() -> list[dict[str, Any]]:
    return [{"name": name, "in": "header", "required": True, "description": _HEADER_TEXT[name],
             "schema": {"type": "string"}} for name in HEADERS]


def build_openapi(app: FastAPI) -> dict[str, Any]:
    models = request_models()
    refs, definitions = models_json_schema([(model, "validation") for model in models.values()],
                                           ref_template="#/components/schemas/{model}")
    schemas = dict(definitions.get("$defs", {}))
    schemas["ResponseEnvelope"] = RESPONSE_SCHEMA
    paths: dict[str, Any] = {}
    for infno, model in models.items():
        ref = refs[(model, "validation")]
        paths[f"/api/hsa/{infno}"] = {"post": {
            "operationId": f"hsa_{infno}", "summary": f"{infno} {TITLES[infno]}", "tags": [infno[:2] + "xx"],
            "parameters": _parameters(),
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref}}},
            "responses": _responses()}}
    paths["/api/hsa"] = {"post": {
        "operationId": "hsa", "summary": "any transaction, infno in the body", "parameters": _parameters(),
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "oneOf": [refs[(m, "validation")] for m in models.values()],
            "discriminator": {"propertyName": "infno", "mapping": {
                infno: refs[(m, "validation")]["$ref"] for infno, m in models.items()}}}}}},
        "responses": _responses()}}
    return {"openapi": "3.1.0",
            "info": {"title": app.title, "version": app.version, "description": app.description},
            "paths": paths, "components": {"schemas": schemas}}


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema
    app.openapi = openapi  # type: ignore[method-assign]
