"""How personal identifiers look on a page: never in full.

ID number (公民身份号码): first 6 and last 4 characters, the rest `*` (18 → 6 + 8 × `*` + 4).
Phone: first 3 and last 4 digits. `scrub` masks both inside free text (log lines, errors, audit
details); `ScrubbingFilter` does it for logging.
"""

from __future__ import annotations

import logging
import re


def mask_id_number(value: str | None) -> str:
    if not value:
        return "—"
    value = value.strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return "—"
    value = value.strip()
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


# ---------------------------------------------------------------- scrubbing free text (logs, errors, audit)

# an 18-character ID number (17 digits + digit or X) or an old 15-digit one, not inside a longer number
ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
# a mainland mobile number, not inside a longer number
PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")


def scrub(text: str) -> str:
    """`text` with every ID-number-like and mobile-number-like run masked (defence in depth for free text:
    log lines, error messages, audit details)."""
    if not text:
        return text
    text = ID_NUMBER_RE.sub(lambda match: mask_id_number(match.group(1)), text)
    return PHONE_RE.sub(lambda match: mask_phone(match.group(1)), text)


class ScrubbingFilter(logging.Filter):
    """A logging filter that masks ID and phone numbers in a record's message (its arguments included),
    e.g. in an access-log line whose URL carries a query. Install on a handler or logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):  # kept a tuple: formatters (uvicorn's access log) unpack it
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: scrub(v) if isinstance(v, str) else v for k, v in record.args.items()}
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a malformed record is left to the handler
            return True
        cleaned = scrub(message)
        if cleaned != message:  # a number made of several arguments, or not a string: give the masked text
            record.msg, record.args = cleaned, None
        return True


def install_log_scrubbing(*names: str) -> None:
    """Attach `ScrubbingFilter` to the named loggers' handlers and the loggers themselves (root by default)."""
    for name in names or ("",):
        logger = logging.getLogger(name)
        if not any(isinstance(f, ScrubbingFilter) for f in logger.filters):
            logger.addFilter(ScrubbingFilter())
        for handler in logger.handlers:
            if not any(isinstance(f, ScrubbingFilter) for f in handler.filters):
                handler.addFilter(ScrubbingFilter())
