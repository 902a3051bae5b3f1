"""Sign-in hardening, beyond tests/web/test_http.py: argon2id parameters, session tokens stored hashed,
CSRF on every state-changing route, secure headers on every answer (errors included), HSTS and Secure
cookies over HTTPS, sign-out revoking the server-side session, absolute expiry."""

from __future__ import annotations

import hashlib

from argon2 import extract_parameters
from sqlalchemy import select
from starlette.testclient import TestClient

from tests.web.conftest import client_for, csrf_of, sign_in
from tests.web.region import PASSWORD
from tongchou.access import passwords
from tongchou.access.headers import HEADERS
from tongchou.access.models import ConsoleSession, ConsoleUser

POSTS = ["/logout", "/persons/search", "/persons/GX0001/enrol", "/persons/GX0001/filings", "/persons/GX0001/unmask",
         "/reimbursements", "/exports/claims.csv", "/persons/register", "/persons/import", "/persons/GX0001/change",
         "/persons/GX0001/death", "/persons/GX0001/newborn", "/persons/GX0001/household/create",
         "/persons/GX0001/cover/stop", "/persons/GX0001/cover/switch"]


def test_passwords_are_argon2id_with_at_least_the_owasp_minimum():
    params = extract_parameters(passwords.hash_password("Console2018pw"))
    assert params.type.name == "ID"
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2  # OWASP: m ≥ 19 MiB, t ≥ 2


def test_session_tokens_and_passwords_are_stored_only_as_hashes(console):
    client = client_for(console)
    sign_in(client, "clerk_a")
    token = client.cookies.get("tongchou_session")
    store = console.state.console.store
    rows = store.read(lambda s: list(s.execute(select(ConsoleSession.token_hash)).scalars()))
    assert token not in rows and hashlib.sha256(token.encode()).hexdigest() in rows
    stored = store.read(lambda s: s.execute(select(ConsoleUser.password_hash)
                                            .where(ConsoleUser.username == "clerk_a")).scalar_one())
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_every_state_changing_route_needs_the_csrf_token(console):
    client = client_for(console)
    sign_in(client, "admin")
    for path in POSTS:
        assert client.post(path, data={"q": "GX0001"}).status_code == 403, path
        assert client.post(path, data={"csrf_token": "forged", "q": "GX0001"}).status_code == 403, path
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in: logout was refused


def test_secure_headers_on_every_answer_including_errors(console):
    client = client_for(console)
    sign_in(client, "clerk_b")
    for path, status in (("/login", 200), ("/", 200), ("/persons/GX0001", 404), ("/simulation", 403),
                         ("/no-such-page", 404)):
        response = client.get(path)
        assert response.status_code == status, path
        for name, value in HEADERS.items():
            assert response.headers[name] == value, (path, name)
        assert response.headers["cache-control"] == "no-store"


def test_https_adds_hsts_and_secure_cookies(console):
    client = TestClient(console, base_url="https://127.0.0.1")
    response = client.get("/login")
    assert "max-age=31536000" in response.headers["strict-transport-security"]
    assert "secure" in response.headers["set-cookie"].lower()
    signed = sign_in(client, "admin")
    assert signed.status_code == 303 and "secure" in signed.headers["set-cookie"].lower()


def test_sign_out_revokes_the_session_on_the_server(console):
    client = client_for(console)
    sign_in(client, "admin")
    stolen = client.cookies.get("tongchou_session")
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    thief = client_for(console)
    thief.cookies.set("tongchou_session", stolen)
    assert thief.get("/", follow_redirects=False).status_code == 303


def test_absolute_expiry_even_when_active(console, clock):
    client = client_for(console)
    sign_in(client, "admin")
    for _ in range(17):  # active every 29 minutes for more than 8 hours
        clock.advance(minutes=29)
        response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
