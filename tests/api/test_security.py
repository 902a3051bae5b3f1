"""The gate: signatures, time window, nonces, institutions acting only as themselves, size and rate
limits, security headers, credentials issued and rotated by the bureau."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from tests.api.conftest import HOSPITAL, SECRET
from tests.api.flows import fee, ok, register, settle_input
from tests.store.support import TEST_CIPHER
from tongchou.api.app import ApiConfig, create_app
from tongchou.api.security import Credentials
from tongchou.api.signing import sign_headers
from tongchou.client import HsaClient

SIGN_IN = {"signIn": {"opter_no": "0001", "ip": "127.0.0.1"}}


def body_of(hsa: HsaClient, infno: str = "9001", input: dict | None = None, **fields) -> bytes:
    return json.dumps(hsa.envelope(infno, input or SIGN_IN, **fields), ensure_ascii=False).encode()


def post(http, body: bytes, headers: dict[str, str], infno: str = "9001"):
    response = http.post(f"/api/hsa/{infno}", content=body, headers={"content-type": "application/json", **headers})
    return response.status_code, response.json()


def test_a_signed_request_passes_and_carries_security_headers(http, hsa):
    body = body_of(hsa)
    response = http.post("/api/hsa", content=body, headers=sign_headers(HOSPITAL, SECRET, body))
    assert response.status_code == 200 and response.json()["infcode"] == 0
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_only_post_reaches_the_transactions(http):
    response = http.get("/api/hsa/9001")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["infcode"] == -1 and response.headers["x-frame-options"] == "DENY"
    assert http.post("/api/hsa/9001/more", content=b"{}").status_code == 404  # not a transaction path
    docs = http.get("/openapi.json")
    assert docs.status_code == 200 and "/api/hsa/2207" in docs.json()["paths"]
    assert docs.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("tamper", ["unsigned", "bad_signature", "other_body", "unknown_institution", "expired",
                                    "future", "short_nonce"])
def test_bad_signatures_get_401_with_the_envelope(http, hsa, tamper):
    body = body_of(hsa)
    headers = sign_headers(HOSPITAL, SECRET, body)
    if tamper == "unsigned":
        headers = {}
    elif tamper == "bad_signature":
        headers["x-tif-signature"] = sign_headers(HOSPITAL, "wrong", body)["x-tif-signature"]
    elif tamper == "other_body":
        body = body.replace(b"127.0.0.1", b"127.0.0.2")
    elif tamper == "unknown_institution":
        headers = sign_headers("H99999999999", SECRET, body)
    elif tamper == "expired":
        headers = sign_headers(HOSPITAL, SECRET, body, now=time.time() - 301)
    elif tamper == "future":
        headers = sign_headers(HOSPITAL, SECRET, body, now=time.time() + 301)
    elif tamper == "short_nonce":
        headers = sign_headers(HOSPITAL, SECRET, body, nonce="abc")
    status, answer = post(http, body, headers)
    assert status == 401
    assert answer["infcode"] == -1 and answer["output"] is None and "签名" in answer["err_msg"]
    assert len(answer["inf_refmsgid"]) == 30
    if tamper in ("unknown_institution", "bad_signature"):  # the same words: nothing about who exists
        assert "不正确或机构未获授权" in answer["err_msg"]


def test_a_replayed_nonce_is_refused(http, hsa):
    body = body_of(hsa)
    headers = sign_headers(HOSPITAL, SECRET, body)
    assert post(http, body, headers)[0] == 200
    status, answer = post(http, body, headers)
    assert status == 401 and "重放" in answer["err_msg"]


def test_a_nonce_is_shared_by_every_worker(store, registry, hsa):
    """Two apps over one database stand for two worker processes."""
    apps = [create_app(store, registry, TEST_CIPHER, ApiConfig(division="371525")) for _ in range(2)]
    body = body_of(hsa)
    headers = sign_headers(HOSPITAL, SECRET, body)
    with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
        assert post(first, body, headers)[0] == 200
        assert post(second, body, headers)[0] == 401


def test_an_institution_acts_only_as_itself(hsa, township, http):
    body = body_of(township, fixmedins_code=HOSPITAL)  # signed by the township hospital, claims to be another
    status, answer = post(http, body, sign_headers("H37152500002", "s2", body))
    assert status == 403 and answer["infcode"] == -1 and "fixmedins_code" in answer["err_msg"]

    mdtrt_id = register(hsa)
    ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "80.00")]}))
    info = ok(hsa.call("2207", settle_input(mdtrt_id, "80.00")))["setlinfo"]
    for infno, input in (
        ("2204", {"feedetail": [fee("F9", mdtrt_id, "T000002", "1.00")]}),
        ("2207", settle_input(mdtrt_id, "80.00")),
        ("2208", {"data": {"setl_id": info["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": "GX0001"}}),
        ("5203", {"data": {"setl_id": info["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": "GX0001"}}),
        ("5204", {"data": {"setl_id": info["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": "GX0001"}}),
    ):
        answer = township.call(infno, input)
        assert answer["_status"] == 403, (infno, answer)
        assert answer["infcode"] == -1 and "不属于本机构" in answer["err_msg"]
        assert "GX0001" not in answer["err_msg"] and "张三" not in answer["err_msg"]


def test_malformed_json_and_fields_are_answered_with_the_field(http, hsa):
    for body, field in ((b"{not json", "(body)"), (b"[1, 2]", "(body)")):
        status, answer = post(http, body, sign_headers(HOSPITAL, SECRET, body))
        assert status == 200 and answer["infcode"] == -1 and field in answer["err_msg"]
    body = body_of(hsa, "2201", {"data": {"psn_no": "GX0001"}})
    status, answer = post(http, body, sign_headers(HOSPITAL, SECRET, body), "2201")
    assert status == 200 and "input.data.insutype" in answer["err_msg"] and "必填" in answer["err_msg"]
    body = body_of(hsa, "2207", settle_input("M1", "1.234"))
    status, answer = post(http, body, sign_headers(HOSPITAL, SECRET, body), "2207")
    assert "input.data.medfee_sumamt" in answer["err_msg"]
    body = body_of(hsa, "2207", settle_input("M1", "1.00"))
    status, answer = post(http, body, sign_headers(HOSPITAL, SECRET, body), "2206")
    assert answer["infcode"] == -1 and "infno" in answer["err_msg"]
    body = body_of(hsa, "9999", {})
    status, answer = post(http, body, sign_headers(HOSPITAL, SECRET, body), "9999")
    assert answer["infcode"] == -1 and "9999" in answer["err_msg"]


def test_a_body_over_the_limit_gets_413(store, registry, hsa):
    app = create_app(store, registry, TEST_CIPHER, ApiConfig(division="371525", max_body=2048))
    body = body_of(hsa, dev_safe_info="x" * 3000)
    with TestClient(app) as client:
        status, answer = post(client, body, sign_headers(HOSPITAL, SECRET, body))
    assert status == 413 and answer["infcode"] == -1


def test_the_rate_limit_answers_429(store, registry, hsa):
    app = create_app(store, registry, TEST_CIPHER, ApiConfig(division="371525", rate=0.001, burst=2))
    with TestClient(app) as client:
        limited = HsaClient("http://testserver", HOSPITAL, SECRET, http=client)
        statuses = [limited.call("9001", SIGN_IN)["_status"] for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_rotation_keeps_the_old_secret_during_the_grace_period(store, http, hsa):
    credentials = Credentials(store, TEST_CIPHER)
    new = credentials.rotate(HOSPITAL, grace_hours=1)
    assert new != SECRET
    assert ok(hsa.call("9001", SIGN_IN))  # the old secret, in its grace period
    rotated = HsaClient("http://testserver", HOSPITAL, new, http=http)
    assert ok(rotated.call("9001", SIGN_IN))
    later = Credentials(store, TEST_CIPHER, now=lambda: dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2))
    assert [secret.value for secret in later.secrets_for(HOSPITAL)] == [new]
    listed = {row.code: row for row in credentials.list()}
    assert listed[HOSPITAL].has_secret and listed[HOSPITAL].in_grace == 1


def test_rotation_without_grace_refuses_the_old_secret_at_once(store, http, hsa):
    new = Credentials(store, TEST_CIPHER).rotate(HOSPITAL, grace_hours=0)
    assert hsa.call("9001", SIGN_IN)["_status"] == 401
    assert ok(HsaClient("http://testserver", HOSPITAL, new, http=http).call("9001", SIGN_IN))


def test_issue_gives_a_first_secret_only(store, http):
    credentials = Credentials(store, TEST_CIPHER)
    secret = credentials.issue("H37152500009")
    assert len(secret) >= 40
    with pytest.raises(Exception, match="rotate"):
        credentials.issue("H37152500009")
    assert ok(HsaClient("http://testserver", "H37152500009", secret, http=http).call("9001", SIGN_IN))


def test_the_cli_issues_rotates_and_lists(db_url, store):
    from typer.testing import CliRunner

    from tongchou.cli import app

    runner = CliRunner()
    listed = runner.invoke(app, ["institution", "credentials", "list", "--db", db_url])
    assert listed.exit_code == 0 and HOSPITAL in listed.output
    refused_issue = runner.invoke(app, ["institution", "credentials", "issue", HOSPITAL, "--db", db_url])
    assert refused_issue.exit_code == 2
    rotated = runner.invoke(app, ["institution", "credentials", "rotate", HOSPITAL, "--grace-hours", "2",
                                  "--db", db_url], env={"TONGCHOU_DATA_KEY": "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="})
    assert rotated.exit_code == 0, rotated.output


def test_stored_answers_keep_no_id_number_in_clear(hsa, store):
    # answers are kept for msgid replays; they carry personal data (certno), so they are stored encrypted
    ok(hsa.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "371525199001011234"}}))
    stored = store.read(lambda s: [row[0] for row in s.execute(text("SELECT output FROM api_message"))])
    assert stored and all("371525199001011234" not in (text_ or "") for text_ in stored)
