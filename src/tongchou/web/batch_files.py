"""The files a batch page gives back (the refused or held rows, in the format received), kept in the console's
memory for the user who uploaded the batch: the newest `KEPT`, each for `SECONDS`. A restart forgets them (the
clerk uploads the batch again); several console processes would need shared storage."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import Response

from tongchou.access.sessions import Current
from tongchou.sheets import media_type
from tongchou.web.auth import console_of

KEPT = 50
SECONDS = 3600


@dataclass(frozen=True)
class KeptFile:
    owner: str
    name: str
    fmt: str
    content: bytes
    until: float


def _files(request: Request) -> dict[str, KeptFile]:
    files = console_of(request).batch_files
    now = time.monotonic()
    for token in [t for t, kept in files.items() if kept.until < now]:
        del files[token]
    return files


def keep(request: Request, current: Current, name: str, content: bytes, fmt: str) -> str:
    """Keep `content` for its owner; the token that downloads it."""
    files = _files(request)
    while len(files) >= KEPT:
        files.pop(next(iter(files)))
    token = secrets.token_urlsafe(16)
    files[token] = KeptFile(current.principal.username, name, fmt, content, time.monotonic() + SECONDS)
    return token


def kept(request: Request, current: Current, token: str) -> KeptFile:
    """The file behind `token`, for its owner only (404 otherwise, or once forgotten)."""
    found = _files(request).get(token)
    if found is None or found.owner != current.principal.username:
        raise HTTPException(404)
    return found


def download(found: KeptFile) -> Response:
    return Response(found.content, media_type=media_type(found.fmt), headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.name)}", "Cache-Control": "no-store"})
