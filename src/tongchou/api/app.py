"""The FastAPI app: `POST /api/hsa/{infno}` and `POST /api/hsa`, the national envelope in and out.

The order of the gate, for every request:
1. size (413 over `max_body` bytes);
2. signature headers, signature, time window (401);
3. rate limit per institution (429);
4. JSON, envelope and the infno's input (infcode -1, HTTP 200, naming the field);
5. the envelope's `fixmedins_code` must be the signer (403);
6. the nonce, claimed once per institution (401 on a replay), in the same statement as the look-up of
   the msgid's earlier answer (idempotency);
7. the transaction; a visit or settlement of another institution is 403.
Nothing is done for a request before step 6 claims its nonce.
The body is read raw (the signature covers its bytes), so FastAPI never parses it: the request
schemas in the OpenAPI document come from `api.wire` per infno.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from pydantic import ValidationError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tongchou.masking import install_log_scrubbing
from tongchou.api import messages, wire
from tongchou.api.registry import TRANSACTIONS
from tongchou.api.envelope import ApiError, answer, canonical_hash, first_problem, now_local, parse_json
from tongchou.api.jsonout import dumps
from tongchou.api.hot_path import NONCE_REPLAYED, HotPath, NotHere
from tongchou.api.identity import DEFAULT_LOOKUP_QUOTA
from tongchou.api.openapi import install_openapi
from tongchou.api.security import Credentials, NonceBook, RateLimiter
from tongchou.api.signing import WINDOW_SECONDS, SignatureError, SignedRequest, read_headers
from tongchou.api.tx_base import Call, Context, Reply
from tongchou.policy.registry import Registry
from tongchou.settlement.service import SettlementService
from tongchou.store.cache import Generations, ReferenceCache
from tongchou.store.crypto import DataCipher
from tongchou.errors import ServiceError
from tongchou.store.uow import Store, TooBusy
from tongchou.visits.rules import LINE_TOLERANCE, Forbidden

log = logging.getLogger("tongchou.api")
install_log_scrubbing("tongchou.api")  # no ID number in a log line, whatever an error carries
MAX_BODY = 1024 * 1024
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "strict-transport-security": "max-age=31536000",
}
OPENAPI_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; " \
              "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:"


@dataclass
class ApiConfig:
    division: str = "000000"  # the receiver's division in inf_refmsgid (the pool's admdvs)
    max_body: int = MAX_BODY
    rate: float = 200.0  # requests per second per institution and worker
    burst: float = 400.0
    cache_interval: float = 1.0
    threads: int = 8  # requests handled at once per worker: one pooled connection each
    screening: bool = True  # supervision's pre-/during-settlement rules: warnings, or refusals when blocking
    line_tolerance: Decimal = LINE_TOLERANCE  # yuan a fee line's total may differ from half-up(cnt × pric)
    lookup_quota: int = DEFAULT_LOOKUP_QUOTA  # 1101 look-ups a day per institution without its own quota
    hot_path: bool = True  # on PostgreSQL, 2207/2304 by `api.hot_path` (two statements, in the event loop)


class Gate:
    """Steps 1–3 of the module docstring, and the error answers."""

    def __init__(self, credentials: Credentials, nonces: NonceBook, limiter: RateLimiter, config: ApiConfig):
        self.credentials = credentials
        self.nonces = nonces
        self.limiter = limiter
        self.config = config

    def authenticate(self, headers: dict[str, str], body: bytes) -> SignedRequest:
        """The request's signature, checked, within the rate limit of its institution; or ApiError 401/429."""
        try:
            signed = read_headers(headers)
            self.credentials.verify(signed, body, time.time())
        except SignatureError as exc:
            raise ApiError(f"签名校验失败：{_signature_reason(str(exc))}", "x-tif-signature", 401) from None
        if not self.limiter.allow(signed.institution):
            raise ApiError("请求过于频繁，请稍后再试。", "x-tif-paasid", 429)
        return signed

    def admit(self, signed: SignedRequest, msgid: str) -> Any | None:
        """Claim the nonce (ApiError 401 on a replay); the message already recorded under `msgid`, if any."""
        claim = self.nonces.claim(signed.institution, signed.nonce, time.time(), msgid)
        if not claim.claimed:
            raise ApiError(NONCE_REPLAYED, "x-tif-nonce", 401)
        return claim.message


def _signature_reason(reason: str) -> str:
    if reason.startswith("x-tif-nonce must be"):
        low, high = reason.split()[3], reason.split()[5]
        return f"x-tif-nonce 长度应为{low}至{high}个字符"
    for english, chinese in (("missing header", "缺少签名请求头"), ("outside the 300-second", "时间戳超出300秒有效期"),
                             ("Unix seconds", "x-tif-timestamp 应为Unix秒"),
                             ("bad signature", "签名不正确或机构未获授权")):
        if english in reason:
            return chinese + (f"（{reason.split()[-1]}）" if english == "missing header" else "")
    return "签名不正确"


def _parse_envelope(body: bytes, path_infno: str | None) -> tuple[wire.Envelope, Any, str]:
    """The envelope and the infno's input, validated (declared fields by their models, then every value by
    `wire.check_values`); any problem is an ApiError naming the field, never the value."""
    raw = parse_json(body)
    if not isinstance(raw, dict):
        raise ApiError("请求应为 JSON 对象。", "(body)")
    envelope = _validated(wire.Envelope, {k: v for k, v in raw.items() if k != "input"}, "")
    infno = envelope.infno
    if path_infno is not None and path_infno != infno:
        raise ApiError(f"报文中的交易编号{infno}与地址中的{path_infno}不一致。", "infno")
    entry = TRANSACTIONS.get(infno)
    if entry is None:
        raise ApiError(f"不支持的交易编号{infno}。", "infno")  # a transaction code, not personal data
    if raw.get("input") is not None and not isinstance(raw["input"], dict):
        raise ApiError("应为对象", "input")
    parsed = _validated(entry.input, raw.get("input") or {}, "input")
    try:
        wire.check_values({k: v for k, v in raw.items() if k in wire.Envelope.model_fields})  # others: unused
    except wire.ValueProblem as problem:
        raise ApiError(str(problem), problem.path) from None
    return envelope, parsed, canonical_hash(raw.get("input"))


def _validated(model: Any, raw: Any, prefix: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problem = first_problem(exc, prefix)
        raise ApiError(problem.message, problem.path) from None
    except (ValueError, TypeError, ArithmeticError, RecursionError):  # a value no validator foresaw
        raise ApiError("取值无效", prefix or "(body)") from None


class HsaApi:
    """What the routes call: gate, parse, replay or handle, answer."""

    def __init__(self, gate: Gate, context: Context, store: Store, config: ApiConfig, hot: HotPath | None = None):
        self.gate = gate
        self.context = context
        self.store = store
        self.config = config
        self.hot = hot
        self._threads: anyio.CapacityLimiter | None = None

    @property
    def threads(self) -> anyio.CapacityLimiter:
        """At most `config.threads` requests in the database at once (made in the event loop, on first use):
        the rest wait their turn here, not for a connection beyond the pool."""
        if self._threads is None:
            self._threads = anyio.CapacityLimiter(self.config.threads)
        return self._threads

    def process(self, headers: dict[str, str], body: bytes, path_infno: str | None) -> tuple[int, dict[str, Any]]:
        received = now_local()
        try:
            return self.admitted(*self.prepare(headers, body, path_infno), received)
        except ApiError as exc:
            return exc.status, answer(division=self.config.division, received=received, error=exc)

    def prepare(self, headers: dict[str, str], body: bytes, path_infno: str | None
                ) -> tuple[SignedRequest, wire.Envelope, Any, str]:
        """Steps 1–5 of the module docstring: the signed request, its envelope, the infno's input and its hash."""
        signed = self.gate.authenticate(headers, body)
        envelope, parsed, input_hash = _parse_envelope(body, path_infno)
        if envelope.fixmedins_code != signed.institution:
            raise ApiError("定点医药机构编号与签名机构（x-tif-paasid）不一致，不能代其他机构办理。",
                           "fixmedins_code", 403)
        return signed, envelope, parsed, input_hash

    def admitted(self, signed: SignedRequest, envelope: wire.Envelope, parsed: Any, input_hash: str,
                 received: Any) -> tuple[int, dict[str, Any]]:
        """Steps 6–7 (ORM path, in a worker thread): the nonce and the msgid's earlier answer, the transaction."""
        try:
            stored = messages.stored_of(self.gate.admit(signed, envelope.msgid), self.context.cipher)
            call = Call(signed.institution, envelope.msgid, envelope.infno, envelope, parsed, input_hash, received)
            return self.answered(call, lambda: self._run(call, stored))
        except ApiError as exc:
            return exc.status, answer(division=self.config.division, received=received, error=exc)

    def answered(self, call: Call, run: Any) -> tuple[int, dict[str, Any]]:
        try:
            reply = run()
            return 200, answer(division=self.config.division, received=call.received, output=reply.output,
                               warn=reply.warn)
        except ApiError as exc:
            return exc.status, answer(division=self.config.division, received=call.received, error=exc)

    def _run(self, call: Call, stored: messages.Stored | None) -> Reply:
        try:
            if stored is not None:
                return Reply(messages.replay(stored, call.infno, call.input_hash))
            try:
                return TRANSACTIONS[call.infno].handler(self.context, call)
            except messages.Raced:
                stored = messages.lookup(self.store, self.context.cipher, call.code, call.msgid)
                return Reply(messages.replay(stored, call.infno, call.input_hash))
        except (Forbidden, ServiceError, TooBusy) as exc:
            raise refusal(exc) from None

    async def handle(self, headers: dict[str, str], body: bytes, path_infno: str | None) -> tuple[int, dict[str, Any]]:
        """A request with the hot path on: prepared in the event loop; 2207/2304 by `hot_path` without a thread,
        every other call by `admitted` in a worker thread."""
        received = now_local()
        try:
            prepared = self.prepare(headers, body, path_infno)
        except ApiError as exc:
            return exc.status, answer(division=self.config.division, received=received, error=exc)
        signed, envelope, parsed, input_hash = prepared
        if not self.hot.takes(envelope.infno, parsed):
            return await anyio.to_thread.run_sync(self.admitted, *prepared, received, limiter=self.threads)
        now = time.time()
        if self.gate.nonces.purge_due():
            await anyio.to_thread.run_sync(self.gate.nonces.purge, now, limiter=self.threads)
        call = Call(signed.institution, envelope.msgid, envelope.infno, envelope, parsed, input_hash, received)
        try:
            reply = await self.hot.serve(call, signed.nonce, now)
        except NotHere:
            return await anyio.to_thread.run_sync(self.answered, call, lambda: self._run(call, None),
                                                  limiter=self.threads)
        except ApiError as exc:
            return exc.status, answer(division=self.config.division, received=received, error=exc)
        except (Forbidden, ServiceError, TooBusy) as exc:
            error = refusal(exc)
            return error.status, answer(division=self.config.division, received=received, error=error)
        return 200, answer(division=self.config.division, received=received, output=reply.output, warn=reply.warn)


def refusal(exc: Exception) -> ApiError:
    """A service's refusal as the API answers it."""
    if isinstance(exc, Forbidden):
        return ApiError("该就诊或结算不属于本机构，不能办理。", exc.field, 403)
    if isinstance(exc, ServiceError):
        return ApiError(exc.message, _national(exc.field))
    return ApiError("系统繁忙，请稍后重试（可用原报文ID重发）。", "msgid")


def _national(field: str | None) -> str | None:
    """The service's field names in national terms."""
    return {"items": "feedetail", "enddate": "mdtrt_id", "key": "msgid", "begndate": "begntime"}.get(field or "", field)


def _supervision(config: ApiConfig):
    """The smart-audit screening run before and during settlement (policies/supervision/rules.yaml)."""
    if not config.screening:
        return None
    from tongchou.supervision.service import SupervisionHook
    from tongchou.supervision.rules import load_rules

    return SupervisionHook(load_rules())


def create_app(store: Store, registry: Registry, cipher: DataCipher, config: ApiConfig | None = None,
               settlements: SettlementService | None = None) -> ASGIApp:
    """The API as an ASGI app: `HsaFront` answers the transactions, FastAPI serves the OpenAPI document and /docs,
    and every response carries the security headers."""
    config = config or ApiConfig()
    generations = Generations(store, config.cache_interval)
    credentials = Credentials(store, cipher, generations)
    gate = Gate(credentials, NonceBook(store, WINDOW_SECONDS), RateLimiter(config.rate, config.burst), config)
    service = settlements or SettlementService(store, registry, supervision=_supervision(config),
                                               references=ReferenceCache(generations))
    context = Context(store, service, cipher, config.division, config.line_tolerance, lookup_quota=config.lookup_quota)
    hot = None
    if config.hot_path and store.dialect == "postgresql" and not store.county:
        conninfo = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        hot = HotPath(conninfo, context, size=config.threads, role=store.role, window=WINDOW_SECONDS)
    api = HsaApi(gate, context, store, config, hot)

    docs = FastAPI(title="Tongchou 统筹 — 定点医药机构接口 (institution API)", version="1.0",
                   description=_DESCRIPTION, docs_url="/docs", redoc_url=None)
    install_openapi(docs)
    return SecurityHeaders(HsaFront(api, docs))


HSA_PATH = "/api/hsa"


class HsaFront:
    """`POST /api/hsa` and `POST /api/hsa/{infno}`, answered here as plain ASGI (every transaction takes this
    path, so it skips the framework's routing and middleware); everything else goes to `docs`."""

    def __init__(self, api: HsaApi, docs: ASGIApp):
        self.api = api
        self.docs = docs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and self.api.hot is not None:
            async def receive_and_close() -> Message:
                message = await receive()
                if message["type"] == "lifespan.shutdown":
                    await self.api.hot.close()  # the hot path's connections end with the app
                return message
            return await self.docs(scope, receive_and_close, send)
        path_infno = _hsa_infno(scope)
        if path_infno is None:
            return await self.docs(scope, receive, send)
        if scope["method"] != "POST":
            status, body = 405, answer(division=self.api.config.division, received=now_local(),
                                       error=ApiError("只接受 POST 请求。", "(method)", 405))
            return await _send_json(send, status, body, [(b"allow", b"POST")])
        status, body = await _handle(self.api, Request(scope, receive), path_infno or None)
        await _send_json(send, status, body)


def _hsa_infno(scope: Scope) -> str | None:
    """"" for /api/hsa, the infno for /api/hsa/{infno}, None for any other request."""
    if scope["type"] != "http":
        return None
    path = scope["path"]
    if path == HSA_PATH:
        return ""
    rest = path.removeprefix(HSA_PATH + "/")
    return rest if rest != path and rest and "/" not in rest else None


async def _send_json(send: Send, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]] = ()) -> None:
    content = dumps(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(content)).encode()), *extra]})
    await send({"type": "http.response.body", "body": content})


class SecurityHeaders:
    """The security headers on every response (plain ASGI: no extra task per request)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        docs = scope.get("path") == "/docs"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if docs:
                    headers["content-security-policy"] = OPENAPI_CSP
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _handle(api: HsaApi, request: Request, path_infno: str | None) -> tuple[int, dict[str, Any]]:
    received = now_local()
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > api.config.max_body):
        return 413, answer(division=api.config.division, received=received,
                           error=ApiError(f"请求超过 {api.config.max_body} 字节。", "(body)", 413))
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > api.config.max_body:
            return 413, answer(division=api.config.division, received=received,
                               error=ApiError(f"请求超过 {api.config.max_body} 字节。", "(body)", 413))
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        if api.hot is not None:
            return await api.handle(headers, bytes(body), path_infno)
        return await anyio.to_thread.run_sync(api.process, headers, bytes(body), path_infno, limiter=api.threads)
    except Exception:  # noqa: BLE001 — never a 5xx with internals: log it, answer -1
        log.exception("unexpected error on %s", request.url.path)
        return 200, answer(division=api.config.division, received=received,
                           error=ApiError("系统内部错误，请稍后重试（可用原报文ID重发）。", "msgid"))


_DESCRIPTION = """
The national institution interface (定点医药机构接口) of the pool: one JSON envelope per call,
`POST /api/hsa/{infno}` (or `POST /api/hsa` with `infno` in the body). Every business answer is
HTTP 200 with `infcode` 0 or -1 (`err_msg` names the field or rule). Requests are signed
(`x-tif-paasid`, `x-tif-timestamp`, `x-tif-nonce`, `x-tif-signature` = lowercase hex
HMAC-SHA256(secret, timestamp + nonce + sha256hex(body)); or, for an institution the bureau set to the
national gateway's recipe, SHA-256 hex of timestamp + secret + nonce + timestamp); unsigned, badly signed, expired or
replayed requests get 401, an institution acting for another 403, a body over 1 MiB 413, too many
requests 429 — each with the envelope and infcode -1. See docs/api.md.
"""
