"""The signature scheme of docs/reference/contracts.md."""

import hashlib
import hmac

import pytest

from tongchou.api.signing import Secret, SignatureError, read_headers, sign_headers, verify

BODY = b'{"infno":"9001"}'


def test_signature_is_hmac_over_timestamp_nonce_and_body_digest():
    headers = sign_headers("H37152500001", "s3cret", BODY, now=1_700_000_000, nonce="n" * 16)
    expected = hmac.new(b"s3cret", ("1700000000" + "n" * 16 + hashlib.sha256(BODY).hexdigest()).encode(),
                        hashlib.sha256).hexdigest()
    assert headers["x-tif-signature"] == expected
    verify(read_headers(headers), ["s3cret"], BODY, now=1_700_000_100)


def test_a_rotated_secret_still_verifies_during_its_grace_period():
    headers = sign_headers("H1", "old", BODY, now=1000)
    verify(read_headers(headers), ["new", "old"], BODY, now=1000)


@pytest.mark.parametrize("change, message", [
    ({"x-tif-signature": "0" * 64}, "bad signature"),
    ({"x-tif-nonce": "short"}, "x-tif-nonce"),
    ({"x-tif-timestamp": "12a"}, "Unix seconds"),
    ({"x-tif-paasid": ""}, "missing header x-tif-paasid"),
])
def test_malformed_or_wrong_headers_are_refused(change, message):
    headers = {**sign_headers("H1", "s", BODY, now=1000), **change}
    with pytest.raises(SignatureError, match=message):
        verify(read_headers(headers), ["s"], BODY, now=1000)


def test_an_expired_request_is_refused():
    headers = sign_headers("H1", "s", BODY, now=1000)
    with pytest.raises(SignatureError, match="300-second"):
        verify(read_headers(headers), ["s"], BODY, now=1301)


def test_a_changed_body_is_refused():
    headers = sign_headers("H1", "s", BODY, now=1000)
    with pytest.raises(SignatureError):
        verify(read_headers(headers), ["s"], BODY + b" ", now=1000)


def test_the_gateway_recipe_is_sha256_of_timestamp_secret_nonce_timestamp_in_either_case():
    headers = sign_headers("H1", "s3cret", BODY, now=1_700_000_000, nonce="abc123", recipe="gateway")
    expected = hashlib.sha256(b"1700000000" + b"s3cret" + b"abc123" + b"1700000000").hexdigest()
    assert headers["x-tif-signature"] == expected
    gateway = [Secret("s3cret", "gateway")]
    verify(read_headers(headers), gateway, BODY, now=1_700_000_100)
    verify(read_headers({**headers, "x-tif-signature": expected.upper()}), gateway, BODY, now=1_700_000_100)
    verify(read_headers(headers), gateway, b"any other body", now=1_700_000_100)  # the recipe leaves the body out
    with pytest.raises(SignatureError, match="300-second"):
        verify(read_headers(headers), gateway, BODY, now=1_700_000_301)
    long_nonce = sign_headers("H1", "s3cret", BODY, now=1_700_000_000, nonce="n" * 16, recipe="gateway")
    with pytest.raises(SignatureError, match="bad signature"):  # a gateway signature is no hmac signature
        verify(read_headers(long_nonce), [Secret("s3cret", "hmac")], BODY, now=1_700_000_000)


@pytest.mark.parametrize("nonce, accepted", [("a" * 5, False), ("a" * 6, True), ("a" * 64, True), ("a" * 65, False)])
def test_gateway_nonces_are_6_to_64_characters(nonce, accepted):
    headers = sign_headers("H1", "s", BODY, now=1000, nonce=nonce, recipe="gateway")
    if accepted:
        verify(read_headers(headers), [Secret("s", "gateway")], BODY, now=1000)
    else:
        with pytest.raises(SignatureError, match="x-tif-nonce"):
            verify(read_headers(headers), [Secret("s", "gateway")], BODY, now=1000)


def test_hmac_nonces_stay_16_to_64_characters():
    headers = sign_headers("H1", "s", BODY, now=1000, nonce="a" * 15)
    with pytest.raises(SignatureError, match="x-tif-nonce must be 16 to 64"):
        verify(read_headers(headers), [Secret("s", "hmac")], BODY, now=1000)
