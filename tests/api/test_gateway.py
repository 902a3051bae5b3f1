"""The national gateway's signature, chosen per institution by the bureau (spec/contracts.md): the CLI's
`--signature`, a fixture's `signature`, and requests signed either way through the whole gate."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.api.conftest import HOSPITAL, SECRET
from tests.api.flows import ok
from tests.api.test_security import SIGN_IN, body_of, post
from tests.store.support import TEST_CIPHER
from tongchou.api.security import Credentials
from tongchou.api.signing import sign_headers
from tongchou.client import HsaClient
from tongchou.store import models as m
from tongchou.region.fixture import load_fixture, parse_fixture

GATEWAY_FIXTURE = """
region: {admdvs: "371525", name: 冠县}
institutions:
  - {code: H37152500010, name: 冠县中医院, hosp_lv: 2, admin_tier: county, county: "371525",
     secret: "gateway-secret", signature: gateway}
"""


def gateway_client(http, code: str = HOSPITAL, secret: str = SECRET) -> HsaClient:
    return HsaClient("http://testserver", code, secret, admdvs="371525", http=http, signature="gateway")


def test_an_institution_set_to_the_gateway_recipe_signs_the_gateway_way(store, http, hsa):
    secret = Credentials(store, TEST_CIPHER).rotate(HOSPITAL, grace_hours=1, signature="gateway")
    assert ok(gateway_client(http, secret=secret).call("9001", SIGN_IN))
    assert ok(hsa.call("9001", SIGN_IN))  # the old secret, in its grace period, by its own recipe (hmac)
    as_hmac = HsaClient("http://testserver", HOSPITAL, secret, http=http)
    assert as_hmac.call("9001", SIGN_IN)["_status"] == 401  # the new secret signs the gateway way only

    body = body_of(hsa)
    headers = sign_headers(HOSPITAL, secret, body, nonce="a1b2c3", recipe="gateway")
    headers["x-tif-signature"] = headers["x-tif-signature"].upper()
    assert post(http, body, headers)[0] == 200  # upper-case hex, a 6-character nonce
    status, answer = post(http, body, headers)
    assert status == 401 and "重放" in answer["err_msg"]  # the nonce, never twice
    for tamper, words in ((dict(nonce="a1b2c"), "x-tif-nonce 长度应为6至64"),
                          (dict(now=time.time() - 400), "300秒"),
                          (dict(now=time.time() + 400), "300秒")):
        status, answer = post(http, body, sign_headers(HOSPITAL, secret, body, recipe="gateway", **tamper))
        assert status == 401 and answer["infcode"] == -1 and words in answer["err_msg"], answer
    wrong = sign_headers(HOSPITAL, "not-the-secret", body, recipe="gateway")
    assert post(http, body, wrong)[0] == 401
    other = sign_headers("H37152500002", secret, body, recipe="gateway")  # another paasid
    assert post(http, body, other)[0] == 401


def test_a_fixture_institution_may_carry_its_signature(store, http):
    load_fixture(store, parse_fixture(GATEWAY_FIXTURE), cipher=TEST_CIPHER)
    recipe = store.read(lambda s: s.execute(select(m.Institution.signature).where(
        m.Institution.code == "H37152500010")).scalar_one())
    assert recipe == "gateway"
    assert ok(gateway_client(http, "H37152500010", "gateway-secret").call("9001", SIGN_IN))
    hmac_signed = HsaClient("http://testserver", "H37152500010", "gateway-secret", http=http)
    assert hmac_signed.call("9001", SIGN_IN)["_status"] == 401
    assert store.read(lambda s: s.get(m.Institution, HOSPITAL).signature) == "hmac"  # the default


def test_the_cli_issues_and_rotates_with_a_signature(db_url, store):
    from tongchou.cli import app

    runner = CliRunner()
    env = {"TONGCHOU_DATA_KEY": "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="}
    issued = runner.invoke(app, ["institution", "credentials", "issue", "H37152500009", "--signature", "gateway",
                                 "--db", db_url], env=env)
    assert issued.exit_code == 0, issued.output
    assert "gateway" in issued.output
    rotated = runner.invoke(app, ["institution", "credentials", "rotate", "H37152500009", "--db", db_url], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert store.read(lambda s: s.get(m.Institution, "H37152500009").signature) == "gateway"  # kept
    back = runner.invoke(app, ["institution", "credentials", "rotate", "H37152500009", "--signature", "hmac",
                               "--db", db_url], env=env)
    assert back.exit_code == 0, back.output
    assert store.read(lambda s: s.get(m.Institution, "H37152500009").signature) == "hmac"
    refused = runner.invoke(app, ["institution", "credentials", "rotate", HOSPITAL, "--signature", "md5",
                                  "--db", db_url], env=env)
    assert refused.exit_code == 2 and "signature" in refused.output
    listed = runner.invoke(app, ["institution", "credentials", "list", "--db", db_url], env=env)
    assert "hmac" in listed.output


@pytest.mark.parametrize("recipe", ["hmac", "gateway"])
def test_a_credential_recipe_outside_the_two_is_refused(store, recipe):
    credentials = Credentials(store, TEST_CIPHER)
    with pytest.raises(Exception, match="签名方式"):
        credentials.rotate(HOSPITAL, signature=recipe.upper())
