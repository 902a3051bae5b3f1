"""Property-based tests of the app against its own OpenAPI document (schemathesis), signed requests
on SQLite: never a 5xx, answers conform to the document, and a request the document calls malformed
gets infcode -1 with a message naming the field. Examples per operation: env
`TONGCHOU_SCHEMATHESIS_EXAMPLES` (default 10), so the whole run takes about a minute."""

from __future__ import annotations

import json
import os
import re
import typing

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)
from starlette.testclient import TestClient

from tests.api.conftest import HOSPITAL, SECRET
from tests.store.support import DATA, TEST_CIPHER
from tongchou.api import wire
from tongchou.api.registry import INPUTS
from tongchou.api.app import ApiConfig, create_app
from tongchou.api.openapi import build_openapi
from tongchou.api.signing import sign_headers
from tongchou.region.fixture import load_file
from tongchou.store.testing import create_sqlite_database
from tongchou.store.uow import Store

EXAMPLES = int(os.environ.get("TONGCHOU_SCHEMATHESIS_EXAMPLES", "10"))
DOCUMENT = build_openapi(FastAPI(title="t", version="1", description=""))
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.phases.coverage.enabled = False  # the exhaustive coverage phase alone takes many minutes
schema.config.phases.stateful.enabled = False
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def client(tmp_path_factory, registry):
    url = create_sqlite_database(tmp_path_factory.mktemp("schemathesis"))
    store = Store.open(url)
    load_file(store, DATA / "guanxian.yaml", TEST_CIPHER)
    app = create_app(store, registry, TEST_CIPHER, ApiConfig(division="371525", rate=0))
    with TestClient(app) as http:
        yield http
    store.close()


def _body_of(case) -> object:
    body = case.body
    if isinstance(body, dict) and "fixmedins_code" in body:
        body = {**body, "fixmedins_code": HOSPITAL}  # the signer: otherwise every case is a 403
    return body


def _raw(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if not isinstance(body, (dict, list, str, int, float, bool)) and body is not None:
        return b""  # no body generated
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_the_api_conforms_to_its_openapi_document(case, client):
    body = _body_of(case)
    raw = _raw(body)
    response = client.post(case.formatted_path, content=raw,
                           headers={"content-type": "application/json", **sign_headers(HOSPITAL, SECRET, raw)})
    case.validate_response(response, checks=CHECKS)
    answer = response.json()
    assert answer["infcode"] in (0, -1)
    if answer["infcode"] == -1:
        assert answer["err_msg"], answer
    mode = case.meta.generation.mode if case.meta else GenerationMode.POSITIVE
    if mode == GenerationMode.NEGATIVE and response.status_code == 200 and _schema_invalid(case, body):
        assert answer["infcode"] == -1, (raw[:3000], answer)
        assert _names_a_field(answer["err_msg"]), answer["err_msg"]


ENVELOPE_FIELDS = (*wire.Envelope.model_fields, "(body)")
FIELD = re.compile(r"^(input(\.[A-Za-z_]+|\[\d+\])+|[a-z_]+[A-Za-z_]*|\(body\))：")


def _names_a_field(message: str) -> bool:
    """`input.data.psn_no：…`, an envelope field, or a national field the service names (`mdtrt_id：…`)."""
    match = FIELD.match(message)
    return bool(match) and (match.group(1).startswith("input") or match.group(1) in ENVELOPE_FIELDS
                            or match.group(1) in NATIONAL_FIELDS)



_VALIDATORS: dict[str, object] = {}


def _nodes(model: type) -> list[type]:
    """A wire model and the node models inside it."""
    found, todo = [], [model]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.append(current)
        for info in current.model_fields.values():
            for arg in _types_in(info.annotation):
                if isinstance(arg, type) and issubclass(arg, wire.Node):
                    todo.append(arg)
    return found


def _types_in(annotation: object) -> list[object]:
    args = typing.get_args(annotation)
    return [annotation] if not args else [t for a in args for t in _types_in(a)]


def _schema_invalid(case, body: object) -> bool:
    """Whether the body really breaks the document (a negative case may mutate only headers)."""
    import jsonschema_rs

    operation = case.operation
    body_schema = operation.definition.raw["requestBody"]["content"]["application/json"]["schema"]
    key = json.dumps(body_schema, sort_keys=True)
    if key not in _VALIDATORS:
        _VALIDATORS[key] = jsonschema_rs.validator_for({**DOCUMENT, **body_schema})
    validator = _VALIDATORS[key]
    return body is not None and isinstance(body, (dict, list, str, int, float, bool)) and not validator.is_valid(body)


NATIONAL_FIELDS = {name for model in INPUTS.values() for node in _nodes(model) for name in node.model_fields}
