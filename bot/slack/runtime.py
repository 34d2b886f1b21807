"""What every listener shares: the coach, the Web API client, the Slack-side stores and the
workers. Built once by bot.slack.app and handed to each listener's `register`."""

from __future__ import annotations

import copy
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient, WebhookResponse
from sqlalchemy import Engine

from bot.coach import Coach
from bot.daily_quote.slack_calls import retry_after_seconds, single_shot
from bot.gaps.service import Gaps
from bot.settings import Settings
from bot.slack.answer_workers import AnswerWorkers
from bot.slack.client import retry_delay, retry_handlers, slack_error
from bot.slack.messages.plain import plain_text, refused_for_blocks
from bot.slack.outage import SlackOutage
from bot.slack.sign_of_life import SignsOfLife
from bot.slack.workers import Workers
from bot.store.answer_queue import AnswerQueue
from bot.store.asked import AskedQuestions
from bot.store.events import EventStore
from bot.store.feedback import FeedbackStore
from bot.store.health import DatabaseCheck
from bot.store.said_once import SaidOnce
from bot.store.slack_hold import SlackHolds

log = logging.getLogger(__name__)

RESPONSE_URL_SECONDS = 25 * 60.0  # Slack takes a response_url for 30 minutes: keep a margin
# slack_sdk's WebhookClient logs its URL (a response_url: a credential while it lives) in its
# debug lines and in an INFO line per retry, and an ERROR line per failed try that the caller
# logs anyway; its own logger, kept quiet, stops all three (every outcome is logged below)
_WEBHOOK_LOG = logging.getLogger("bot.slack.webhook_client")
_WEBHOOK_LOG.setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Undelivered:
    """Why a response_url post did not reach Slack, and whether trying later may help."""

    reason: str
    later: bool = False  # HTTP 5xx or 429, or no connection
    wait: float | None = None  # Retry-After
    # sent whole and no answer came (a reset, a closed connection, a timeout): Slack may
    # have shown it, and a response_url post cannot be looked up afterwards to tell
    maybe_shown: bool = False

    def repeats_if_resent(self, options: dict[str, Any]) -> bool:
        """Whether sending the same post again could show it twice: it may have been shown
        and adds a message (one that replaces the message it came from replaces it again)."""
        return self.maybe_shown and not options.get("replace_original")


NOT_SENT_AGAIN = (
    "a reply on the response_url got no answer (%s); not sent again: Slack may have shown "
    "it, and a second one would show twice"
)


def webhook_error(response: WebhookResponse) -> str | None:
    """What a response_url said when it did not take a message: Slack's error code (a
    plain body such as `invalid_blocks`, or JSON with ok:false), or the HTTP status."""
    body = (response.body or "").strip()
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("ok") is False:
        return str(data.get("error") or f"HTTP {response.status_code}")
    if response.status_code >= 300:  # a bare code such as invalid_blocks, else the status
        code = body if body and " " not in body and len(body) < 64 else ""
        return code or f"HTTP {response.status_code}"
    return None


def _unsent(err: Exception, response_url: str) -> str:
    """Why a post did not go, without the response_url (a credential while it lives) that
    an error such as an unknown URL type would quote."""
    return f"{type(err).__name__}: {err}".replace(response_url, "<response_url>")


def replica_name() -> str:
    """Who holds a claimed question: host, process and a nonce (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


Message = dict[str, Any]


class SlackRuntime:
    """The coach as Slack sees it: who the bot is, how to reply, and where work runs."""

    def __init__(
        self,
        coach: Coach,
        client: WebClient,
        engine: Engine,
        *,
        workers: int = 8,
        max_pending: int = 1000,
    ) -> None:
        self.coach = coach
        self.client = client
        self.events = EventStore(engine)
        self.answers = AnswerQueue(engine, owner=replica_name())
        self.answer_workers: AnswerWorkers | None = None  # started by bot.slack.app
        self.feedback = FeedbackStore(engine)
        self.database = DatabaseCheck(engine)  # for /healthz
        self.said_once = SaidOnce(engine)  # welcomes, shared coaching: at most once each
        # :eyes: and "still working": each call tried once, briefly (they are decoration)
        quick = copy.copy(single_shot(client))
        quick.timeout = 5
        settings = coach.settings
        self.outage = SlackOutage(  # Slack failing: every replica's answers held, one probe
            SlackHolds(engine, self.answers.owner),
            self.answers,
            longest=settings.answer_retry_max_seconds,
            probe_window=settings.answer_lease_seconds,
        )
        self.signs = SignsOfLife(quick, self.answers, self.said_once, paused=self.outage.is_down)
        self.asked = AskedQuestions(engine)
        self.gaps = Gaps(engine, coach.encode, coach.settings.feedback_retention_days)
        self.workers = Workers(workers, max_pending)
        self.bot_user_id: str | None = None
        self.bot_id: str | None = None
        self._timers: set[threading.Timer] = set()  # response_url posts waiting to retry
        self._timers_lock = threading.Lock()
        self._stopping = threading.Event()

    @property
    def settings(self) -> Settings:
        return self.coach.settings

    @property
    def sign_of_life_after(self) -> float:
        """Seconds before a slow answer gets :eyes:."""
        return self.signs.after

    @sign_of_life_after.setter
    def sign_of_life_after(self, seconds: float) -> None:
        self.signs.after = seconds

    # ---- work ---------------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any] | None:
        return self.workers.submit(fn, *args, **kwargs)

    @property
    def pending(self) -> int:
        busy = self.answer_workers.busy if self.answer_workers else 0
        return self.workers.pending + busy

    def wake_answers(self) -> None:
        if self.answer_workers is not None:
            self.answer_workers.wake()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Until no listener, job or question (queued or being answered) is left."""
        deadline = time.monotonic() + timeout
        if not self.workers.wait_idle(timeout):
            return False
        if self.answer_workers is not None:
            left = max(0.0, deadline - time.monotonic())
            if not self.answer_workers.wait_idle(left):
                return False
        return self.workers.wait_idle(max(0.0, deadline - time.monotonic()))

    def shutdown(self, wait: bool = True) -> None:
        self._stopping.set()
        with self._timers_lock:
            waiting, self._timers = self._timers, set()
        for timer in waiting:
            timer.cancel()
        if waiting:
            log.warning(
                "stopping: %d response_url replies waiting for Slack are lost", len(waiting)
            )
        self.signs.cancel_all()
        if self.answer_workers is not None:
            self.answer_workers.stop(wait)
        self.workers.shutdown(wait)

    # ---- who said it --------------------------------------------------------------------
    def from_bot(self, message: dict[str, Any]) -> bool:
        """Whether a message from conversations.history/replies is this bot's own."""
        return bool(
            (self.bot_user_id and message.get("user") == self.bot_user_id)
            or (self.bot_id and message.get("bot_id") == self.bot_id)
        )

    # ---- replies (each logs its own failure and returns a falsy value) -------------------
    def send(
        self,
        channel: str,
        message: Message,
        thread_ts: str | None = None,
        *,
        client: WebClient | None = None,
    ) -> Any:
        """chat.postMessage with retries (`client`'s, if given) and no link previews; Slack's
        error is raised. Refused for its blocks (nothing posted), sent once more as plain text."""
        try:
            return self._post(channel, message, thread_ts, client)
        except SlackApiError as err:
            if not refused_for_blocks(slack_error(err), message):
                raise
            log.warning(
                "Slack refused a message to %s (%s); sending it as plain text",
                channel,
                slack_error(err),
            )
        return self._post(channel, plain_text(message), thread_ts, client)

    def _post(
        self, channel: str, message: Message, thread_ts: str | None, client: WebClient | None
    ) -> Any:
        return (client or self.client).chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=message["text"],
            blocks=message.get("blocks"),
            unfurl_links=False,
            unfurl_media=False,
        )

    def post(self, channel: str, message: Message, thread_ts: str | None = None) -> str | None:
        """chat.postMessage with retries; the new ts, or None after logging a failure."""
        try:
            response = self.send(channel, message, thread_ts)
        except Exception as err:  # Slack said no, or the network is gone after retries
            log.warning("could not post to %s: %s", channel, slack_error(err))
            return None
        return response.get("ts")

    def send_ephemeral(
        self,
        channel: str,
        user: str,
        message: Message,
        thread_ts: str | None = None,
        *,
        client: WebClient | None = None,
    ) -> None:
        """chat.postEphemeral (through `client`, if given); Slack's error is raised. Refused
        for its blocks (nothing shown), it is sent once more as plain text, as `send` does."""
        for attempt in (message, plain_text(message)):
            try:
                (client or self.client).chat_postEphemeral(
                    channel=channel,
                    user=user,
                    thread_ts=thread_ts,
                    text=attempt["text"],
                    blocks=attempt.get("blocks"),
                )
                return
            except SlackApiError as err:
                if attempt is not message or not refused_for_blocks(slack_error(err), message):
                    raise
                log.warning(
                    "Slack refused a private reply in %s (%s); sending it as plain text",
                    channel,
                    slack_error(err),
                )

    def ephemeral(
        self, channel: str, user: str, message: Message, thread_ts: str | None = None
    ) -> bool:
        try:
            self.send_ephemeral(channel, user, message, thread_ts)
        except Exception as err:
            log.warning("could not post ephemeral in %s: %s", channel, slack_error(err))
            return False
        return True

    def tell(self, response_url: str | None, text: str, *, replace: bool = False) -> bool:
        """A line only the clicker sees: below their message, or (`replace`) instead of it."""
        return self.respond(
            response_url, {"text": text}, response_type="ephemeral", replace_original=replace
        )

    def respond(self, response_url: str | None, message: Message, **options: Any) -> bool:
        """Post to a response_url (slash command / button) with the same retry policy."""
        return self._respond(response_url, message, options) is None

    def respond_until_delivered(
        self, response_url: str | None, message: Message, **options: Any
    ) -> None:
        """`respond`, and while Slack cannot take it (HTTP 5xx or 429, no connection) again
        later with the answers' backoff, for up to ANSWER_MAX_AGE_MINUTES (and within the
        30 minutes a response_url lives); then given up with one log line. In memory: a
        reply still waiting when the process stops is lost."""
        self._respond_until(response_url, message, options, time.monotonic())

    def _respond_until(
        self, response_url: str | None, message: Message, options: dict[str, Any], since: float
    ) -> None:
        failed = self._respond(response_url, message, options, quiet=True)
        if failed is None:
            return
        if failed.repeats_if_resent(options):
            log.warning(NOT_SENT_AGAIN, failed.reason)
            return
        age = time.monotonic() - since
        settings = self.settings
        limit = min(settings.answer_max_age_minutes * 60.0, RESPONSE_URL_SECONDS)
        delay = retry_delay(age, failed.wait, settings.answer_retry_max_seconds)
        if not failed.later or age + delay > limit or self._stopping.is_set():
            gave_up = "; given up" if failed.later else ""
            log.warning("could not answer on the response_url: %s%s", failed.reason, gave_up)
            return
        log.info("response_url unavailable (%s); trying again in %.1f s", failed.reason, delay)
        timer = threading.Timer(
            delay, self._retry_response, (response_url, message, options, since)
        )
        timer.daemon = True
        with self._timers_lock:
            self._timers.add(timer)
        timer.start()

    def _retry_response(
        self, response_url: str | None, message: Message, options: dict[str, Any], since: float
    ) -> None:
        with self._timers_lock:
            self._timers.discard(threading.current_thread())  # type: ignore[arg-type]
        if self.submit(self._respond_until, response_url, message, options, since) is None:
            log.warning("could not answer on the response_url: the work queue is full")

    def respond_once(
        self, response_url: str | None, message: Message, timeout: int, **options: Any
    ) -> Undelivered | None:
        """One post to a response_url, without the SDK's retries and within `timeout`
        seconds (retrying is the answer queue's job, under a lease); None when Slack took
        it, else why not (not logged: the caller decides what to say)."""
        return self._respond(response_url, message, options, quiet=True, timeout=timeout)

    def _respond(
        self,
        response_url: str | None,
        message: Message,
        options: dict[str, Any],
        *,
        quiet: bool = False,
        timeout: int | None = None,
    ) -> Undelivered | None:
        """None when Slack took the message; else why not (logged unless `quiet`). With a
        `timeout`, tried once within it; else with slack_sdk's retries, 15 s a try."""
        if not response_url:
            log.warning("no response_url to answer on")
            return Undelivered("no response_url")
        additive = not options.get("replace_original")
        retries = retry_handlers(resend_unanswered=not additive) if timeout is None else []
        hook = WebhookClient(
            url=response_url, timeout=timeout or 15, retry_handlers=retries, logger=_WEBHOOK_LOG
        )
        try:
            response = hook.send_dict({**message, **options})
            refused = webhook_error(response)
            if refused_for_blocks(refused, message):  # nothing shown: say it in plain text
                log.warning("Slack refused a response (%s); sending it as plain text", refused)
                response = hook.send_dict({**plain_text(message), **options})
        except URLError as err:  # urllib: it never went out whole (refused, no DNS, TLS)
            failed = Undelivered(_unsent(err, response_url), later=True)
        except OSError as err:  # it went out, and the connection ended before Slack answered
            failed = Undelivered(_unsent(err, response_url), later=True, maybe_shown=True)
        except Exception as err:
            failed = Undelivered(_unsent(err, response_url))
        else:
            refused = webhook_error(response)
            if refused is None:
                return None
            status = response.status_code
            later = status == 429 or status >= 500
            wait = retry_after_seconds(response.headers) if status == 429 else None
            if status >= 300 and not refused.startswith("HTTP"):
                refused = f"HTTP {status} {refused}"
            failed = Undelivered(f"response_url refused the message: {refused}", later, wait)
        if not quiet:
            log.warning("could not answer on the response_url: %s", failed.reason)
        return failed
