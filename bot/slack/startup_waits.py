"""Start-up waits of `coach serve`: Slack or the database not answering yet is waited
out (a replica restarted during an outage comes up when they do), and SIGINT/SIGTERM during
a wait, or while the library loads, is a clean stop (exit 0, one line), as it is once
serving."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.settings import Settings
from bot.slack.client import make_client, retry_after_of, slack_error
from bot.store.engine import make_engine
from bot.store.migrate import DatabaseUnavailable

log = logging.getLogger(__name__)

TOKEN_RECHECK_SECONDS = 10.0  # Slack failing (5xx, 429) at start-up: look again this often
DB_RECHECK_SECONDS = 5.0  # the database not answering at start-up: look again this often
SIGNAL_CHECK_SECONDS = 0.5  # the longest the main thread sleeps without looking for a signal
# slack_sdk logs each failed try of the start-up auth.test and each retry (five lines when
# Slack is unreachable) before check_token's own line says the same; that one client logs
# here, kept quiet. Every other client logs to slack_sdk's logger as before.
_TOKEN_CHECK_LOG = logging.getLogger("bot.slack.token_check")
_TOKEN_CHECK_LOG.setLevel(logging.CRITICAL)


def check_token(settings: Settings, stop: threading.Event | None = None) -> str | None:
    """None when Slack accepts SLACK_BOT_TOKEN (or `stop` was set while waiting); otherwise
    the one line to print (still after slack_sdk's retries of a dropped connection or a 5xx,
    which it keeps quiet).

    Slack answering 429 or 5xx is an outage, not a verdict on the token: it is waited out
    (one line, then a look every TOKEN_RECHECK_SECONDS, or after Retry-After if longer), so a
    replica restarted during an outage comes up when Slack does instead of exiting with
    "Slack rejected SLACK_BOT_TOKEN". A 429 is waited for here, not inside slack_sdk, so a
    SIGTERM during that wait stops at once."""
    client = make_client(settings, logger=_TOKEN_CHECK_LOG, retry_rate_limits=False)
    stop = stop or threading.Event()
    waited = False
    while True:
        wait = TOKEN_RECHECK_SECONDS
        try:
            client.auth_test()
        except SlackApiError as err:
            status = err.response.status_code if err.response is not None else 0
            if status != 429 and status < 500:
                return f"Slack rejected SLACK_BOT_TOKEN (auth.test said {slack_error(err)})"
            if not waited:
                log.warning(
                    "Slack answered auth.test with HTTP %s (Slack is failing; this says nothing "
                    "about SLACK_BOT_TOKEN): checking again every %gs until it answers",
                    status,
                    TOKEN_RECHECK_SECONDS,
                )
            waited = True
            wait = max(wait, retry_after_of(err) or 0.0)
        except Exception as err:
            return (
                f"Could not reach Slack at {settings.slack_api_url} to check SLACK_BOT_TOKEN ("
                f"{type(err).__name__}: {err})"
            )
        else:
            if waited:
                log.info("Slack answers again; SLACK_BOT_TOKEN accepted")
            return None
        if wait_for_stop(stop, wait):
            return None


class StopRequested(BaseException):
    """SIGINT/SIGTERM while the library loads (up to a minute on a first start, when the
    index is built): raised in the main thread to unwind the load (its temporary files are
    removed on the way) for a clean stop. A BaseException, so no `except Exception` on the
    way swallows it."""


@contextmanager
def stop_on_signals(stop: threading.Event, *, interrupt: bool = False) -> Iterator[None]:
    """Inside, SIGINT/SIGTERM set `stop` (as they do once serving), and with `interrupt`
    raise StopRequested: a replica an orchestrator stops while it waits for Slack or its
    database, or while it loads, exits 0 at once, with one line, instead of being killed by
    the signal. Outside, the handlers are as they were."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(*_: Any) -> None:
        if interrupt:
            raise StopRequested
        set_soon(stop)

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, on_signal)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def open_database(settings: Settings, stop: threading.Event) -> Engine | None:
    """The database, migrated; a PostgreSQL server that does not answer yet (down, restarting,
    started together with this replica) is waited for, with one line, rather than exiting:
    the replica comes up when the database does. A server that refuses us (no such database
    or role) or a URL that cannot work raises DatabaseUnavailable. None: stopped meanwhile."""
    waited = False
    while True:
        try:
            engine = make_engine(settings.db_url)
        except DatabaseUnavailable as err:
            if not err.unreachable:
                raise
            if not waited:
                log.warning("%s; trying again every %gs until it answers", err, DB_RECHECK_SECONDS)
            waited = True
        else:
            if waited:
                log.info("the database answers again")
            return engine
        if wait_for_stop(stop, DB_RECHECK_SECONDS):
            log.info("stopped while waiting for the database")
            return None


def wait_for_stop(stop: threading.Event, seconds: float | None = None) -> bool:
    """`stop.wait(seconds)` for the main thread, in slices of SIGNAL_CHECK_SECONDS. A signal
    the kernel hands to another thread (any library's thread that does not block it) only
    flags it for the main thread, whose Python handler runs when it next runs Python code:
    blocked in one long wait, it did not notice a SIGTERM until the wait ended (a 429's
    Retry-After of 30 s, or never once serving). True when `stop` is set."""
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        left = SIGNAL_CHECK_SECONDS
        if deadline is not None:
            left = min(left, deadline - time.monotonic())
            if left <= 0:
                return stop.is_set()
        if stop.wait(left):
            return True


def set_soon(stop: threading.Event) -> None:
    """Set `stop` from a signal handler. Not `stop.set()` there: the handler runs in the
    main thread between two steps of whatever it was doing, and when that was entering or
    leaving `stop.wait()` it holds the event's lock, which `set()` then waits for forever
    (a SIGTERM right as a start-up wait began hung the replica until it was killed). A
    thread takes the lock once the main thread lets it go."""
    threading.Thread(target=stop.set, name="stop-signal", daemon=True).start()


def install_signal_handlers(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: set_soon(stop))
