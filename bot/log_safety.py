"""Log lines an admin can read: no Slack token, secret or response_url, one line per
problem, no floods.

During an outage (the database or Slack away) every worker's poll fails the same way each
second; logged each time, with SQLAlchemy's statement, parameters and psycopg's multi-line
hint, a 60 s database outage wrote about 400 lines per replica. A repeated problem is now
logged once, then at most every `every` seconds with how often it recurred.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from collections.abc import Callable

# Slack tokens (bot, app, user, refresh, config) and anything after a secret-looking key.
_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|xoxe\.[A-Za-z0-9.-]+")
_SECRET_FIELD = re.compile(
    r"((?:token|secret|authorization)[\"']?\s*[:=]\s*[\"']?(?:Bearer )?)[^\s\"',}]+", re.I
)
# A response_url (slash command, button) posts as the app for 30 minutes: a credential too,
# whether written out or form-encoded (as in a request body).
_HOOK_URL = re.compile(r"(hooks\.slack(?:-gov)?\.com)(?:/|%2F)[^\s\"'&<>,]+", re.I)
# What SQLAlchemy appends to an error's text: the statement, its parameters (which may hold
# a question's words) and a link; none of it says more about the problem.
_SQL_DETAIL = re.compile(
    r"\n\[SQL: .*?(?=\n\(Background on this error at: )|\n\(Background on this error at: [^)]*\)",
    re.S,
)


def redact(text: str) -> str:
    text = _TOKEN.sub("xox*-***", text)
    text = _HOOK_URL.sub(r"\1/***", text)
    return _SECRET_FIELD.sub(r"\1***", text)


def one_line(text: str) -> str:
    """The message without SQLAlchemy's statement details, its lines joined."""
    return " ".join(part.strip() for part in _SQL_DETAIL.sub("", text).splitlines() if part.strip())


def _database_unavailable(exc: BaseException | None) -> bool:
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return type(exc).__name__ in ("OperationalError", "InterfaceError")


class RedactTokens(logging.Filter):
    """Rewrites the message and its arguments so no handler ever sees a token. A database
    that cannot be reached is one line, not a traceback (it is expected and says all)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not stop logging
            message = str(record.msg)
        clean = one_line(redact(message))
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            if _database_unavailable(exc):
                clean += f" ({type(exc).__name__}: {one_line(redact(str(exc)))})"
            else:
                clean += "\n" + redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
            record.exc_text = None
        record.msg = clean
        record.args = ()
        return True


class OncePerProblem(logging.Filter):
    """A warning or error that repeats is logged once, then at most every `every` seconds
    (saying how often it recurred meanwhile); after `quiet` seconds without it, it counts
    as new. A problem is its logger, level, message template and plain arguments (an
    exception's text varies with the attempt, so it does not count)."""

    def __init__(
        self,
        every: float = 600.0,
        quiet: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.every, self.quiet, self.clock = every, quiet, clock
        self._seen: dict[tuple[object, ...], list[float]] = {}  # key -> [logged, last, count]
        self.remembered = 10_000  # problems kept at most; quiet ones are forgotten first

    def _forget(self, now: float) -> None:
        """Drop the problems that went quiet (they count as new anyway); if that is not
        enough, the least recently seen half."""
        self._seen = {k: v for k, v in self._seen.items() if now - v[1] <= self.quiet}
        if len(self._seen) >= self.remembered:
            recent = sorted(self._seen.items(), key=lambda kv: kv[1][1])
            self._seen = dict(recent[len(recent) // 2 :])

    def filter(self, record: logging.LogRecord) -> bool:
        verdict = getattr(record, "_coach_once", None)  # judged already (another handler)
        if verdict is None:
            verdict = self._judge(record)
            setattr(record, "_coach_once", verdict)  # noqa: B010 - not a LogRecord field
        return bool(verdict)

    def _judge(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        plain = tuple(a for a in args if isinstance(a, str | int | float))
        key = (record.name, record.levelno, str(record.msg), plain)
        now = self.clock()
        if len(self._seen) >= self.remembered:  # a warning per question: months of them
            self._forget(now)
        seen = self._seen.get(key)
        if seen is None or now - seen[1] > self.quiet:
            self._seen[key] = [now, now, 0]
            return True
        seen[1] = now
        if now - seen[0] < self.every:
            seen[2] += 1
            return False
        record.msg = (
            f"{record.msg} (and {int(seen[2])} more times in the last {int(now - seen[0])} s)"
        )
        self._seen[key] = [now, now, 0]
        return True


def install_log_filters() -> None:
    """Attach both filters to every handler of the root logger: repeats first (it needs the
    message template), then the rewrite."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig()
    for handler in root.handlers:
        if not any(isinstance(f, OncePerProblem) for f in handler.filters):
            handler.filters.insert(0, OncePerProblem())
        if not any(isinstance(f, RedactTokens) for f in handler.filters):
            handler.addFilter(RedactTokens())
