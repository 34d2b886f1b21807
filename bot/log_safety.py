"""Keep Slack tokens and signing secrets out of every log line."""

from __future__ import annotations

import logging
import re

# Slack tokens (bot, app, user, refresh, config) and anything after a secret-looking key.
_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|xoxe\.[A-Za-z0-9.-]+")
_SECRET_FIELD = re.compile(
    r"((?:token|secret|authorization)[\"']?\s*[:=]\s*[\"']?(?:Bearer )?)[^\s\"',}]+", re.I
)


def redact(text: str) -> str:
    text = _TOKEN.sub("xox*-***", text)
    return _SECRET_FIELD.sub(r"\1***", text)


class RedactTokens(logging.Filter):
    """Rewrites the message and its arguments so no handler ever sees a token."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not stop logging
            message = str(record.msg)
        clean = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            clean += "\n" + redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
            record.exc_text = None
        record.msg = clean
        record.args = ()
        return True


def install_token_filter() -> None:
    """Attach the filter to every handler of the root logger (and future ones via root)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig()
    for handler in root.handlers:
        if not any(isinstance(f, RedactTokens) for f in handler.filters):
            handler.addFilter(RedactTokens())
