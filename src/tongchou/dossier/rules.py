"""What a document received for a matter may be (pure).

A clerk scans or photographs what the person brings. Accepted: PDF, JPEG, PNG, TIFF and OFD (the Chinese
national e-document format), recognised by their content (the first bytes), not by the name or the browser's
content type; at most 10 MB a file and 20 files a matter. The file name is kept as given, without a path,
control characters, or more than 120 characters.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from tongchou.errors import InvalidRequest

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 20
SIGNATURES = (  # leading bytes → (media type, name)
    (b"%PDF-", "application/pdf", "PDF"),
    (b"\xff\xd8\xff", "image/jpeg", "JPEG图片"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG图片"),
    (b"II*\x00", "image/tiff", "TIFF图片"),
    (b"MM\x00*", "image/tiff", "TIFF图片"),
    (b"PK\x03\x04", "application/ofd", "OFD版式文件"),  # a zip; only .ofd names are taken as OFD
)
ACCEPTED_TEXT = "PDF、JPEG、PNG、TIFF或OFD"
UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class Attachment:
    """One document received: what it is (`kind`, e.g. 居民身份证), the file, and its digest."""

    kind: str
    filename: str
    media_type: str
    content: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def clean_filename(name: str) -> str:
    base = re.split(r"[/\\]", name or "")[-1]
    base = UNSAFE.sub("", base).strip() or "未命名文件"
    return base[:120]


def media_type_of(filename: str, content: bytes) -> str | None:
    for magic, media_type, _name in SIGNATURES:
        if content.startswith(magic):
            if media_type == "application/ofd" and not filename.lower().endswith(".ofd"):
                return None
            return media_type
    return None


def attachment(field: str, kind: str, filename: str, content: bytes) -> Attachment:
    """The document as it will be kept, or InvalidRequest naming `field` (the form's file input)."""
    name = clean_filename(filename)
    label = (kind or "").strip() or "其他材料"
    if not content:
        raise InvalidRequest(field, f"{label}“{name}”是空文件。")
    if len(content) > MAX_BYTES:
        raise InvalidRequest(field, f"{label}“{name}”有{len(content) / 1024 / 1024:.1f} MB，单个文件不能超过10 MB。")
    media_type = media_type_of(name, content)
    if media_type is None:
        raise InvalidRequest(field, f"{label}“{name}”不是{ACCEPTED_TEXT}文件，请扫描或拍照后上传。")
    return Attachment(label[:40], name, media_type, content, hashlib.sha256(content).hexdigest())


def check_count(field: str, attachments: list[Attachment]) -> None:
    if len(attachments) > MAX_FILES:
        raise InvalidRequest(field, f"一次办理最多上传{MAX_FILES}个文件，本次有{len(attachments)}个。")
    digests = [a.sha256 for a in attachments]
    twice = next((a for i, a in enumerate(attachments) if a.sha256 in digests[:i]), None)
    if twice is not None:
        raise InvalidRequest(field, f"文件“{twice.filename}”上传了两次。")
