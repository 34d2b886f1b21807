"""The Slack Web API client: slack_sdk's own retry handlers for dropped connections, 429s
(honouring Retry-After) and 5xx, one way to log a failed call, and one way to read a thread
where not knowing it is no error."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse

from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_RETRY_WAIT = 60.0  # a longer Retry-After is not worth holding a worker for


class BoundedRateLimitRetry(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, except that a Retry-After beyond `max_wait` gives up (the
    caller logs it) rather than holding a worker for an hour."""

    def __init__(
        self,
        max_retry_count: int = 3,
        max_wait: float = MAX_RETRY_WAIT,
        pace: RetryAfter | None = None,
    ) -> None:
        super().__init__(max_retry_count)
        self.max_wait = max_wait
        self.pace = pace  # told of every 429, so the client's other calls wait too

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        assert response is not None
        wait = next(
            (_seconds(v) for k, v in response.headers.items() if k.lower() == "retry-after"), 1.0
        )
        if self.pace is not None:
            self.pace.said(request.url.split("?")[0].rsplit("/", 1)[-1], wait)
        if wait > self.max_wait:
            log.warning("Slack asked to wait %.0fs before retrying; giving up instead", wait)
            return False
        return True


def _seconds(values: Any) -> float:
    raw = values[0] if isinstance(values, list) and values else values
    try:
        return max(0.0, float(str(raw)))
    except ValueError:
        return 1.0


def retry_handlers(
    *,
    resend_unanswered: bool = True,
    pace: RetryAfter | None = None,
    rate_limits: bool = True,
) -> list[RetryHandler]:
    """slack_sdk's handlers. Without `resend_unanswered`, a request that went out whole and
    got no answer (a reset or closed connection) is not sent again: Slack may have acted on
    it, and a response_url post cannot be looked up to tell. urllib raises URLError only for
    what failed before the request went out (refused, no DNS, TLS), which stays retried.
    Without `rate_limits`, a 429 is the caller's to wait out (slack_sdk's sleep cannot be
    interrupted by a stop)."""
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
    unsent: list[type[Exception]] = [URLError]
    connection = (
        ConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=backoff)
        if resend_unanswered
        else ConnectionErrorRetryHandler(2, backoff, error_types=unsent)
    )
    server = ServerErrorRetryHandler(max_retry_count=2, interval_calculator=backoff)
    if not rate_limits:
        return [connection, server]
    return [connection, BoundedRateLimitRetry(max_retry_count=3, pace=pace), server]


def retry_delay(age: float, wait: float | None, longest: float) -> float:
    """Seconds until the next delivery attempt: a quarter of the reply's age (so a short
    outage is caught up quickly and a long one is not hammered), at least what Retry-After
    asked, at most `longest` unless Slack asked for more."""
    delay = min(longest, max(0.5, age / 4))
    return max(delay, wait or 0.0)


class RetryAfter:
    """When each Web API method may be called again, as Slack's last 429 for it said.

    Slack rate-limits per method and asks, with Retry-After, for no call to that method
    until the wait is over; one process's threads share what any of them was told."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def said(self, method: str, seconds: float) -> None:
        with self._lock:
            until = self._clock() + seconds
            self._until[method] = max(until, self._until.get(method, until))

    def left(self, method: str) -> float:
        """Seconds until `method` may be called again (0: now)."""
        with self._lock:
            return max(0.0, self._until.get(method, 0.0) - self._clock())


class PacedWebClient(WebClient):
    """A WebClient that honours Retry-After across its threads and copies (they share one
    `RetryAfter`): a call that tries once (no retry handlers: answers, the :eyes:, "still
    working", the daily quote) to a method Slack asked to wait for is not sent, and fails at
    once as a 429 with the wait left, so the caller reschedules it as it does a real one.
    Before, each question's post and its "still working" reply went out into the 429."""

    def __init__(self, *args: Any, retry_after: RetryAfter | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after or RetryAfter()

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        wait = self.retry_after.left(api_method)
        if wait > 0 and not self.retry_handlers:
            response = SlackResponse(
                client=self,
                http_verb="POST",
                api_url=f"{self.base_url}{api_method}",
                req_args={},
                data={"ok": False, "error": "ratelimited"},
                headers={"Retry-After": f"{wait:.3f}"},
                status_code=429,
            )
            raise SlackApiError(f"{api_method}: Retry-After not over ({wait:.1f}s left)", response)
        try:
            return super().api_call(api_method, **kwargs)  # type: ignore[arg-type]
        except SlackApiError as err:
            if err.response is not None and err.response.status_code == 429:
                headers = err.response.headers
                self.retry_after.said(api_method, _seconds(_header(headers, "retry-after")))
            raise


def _header(headers: Any, name: str) -> Any:
    return next((v for k, v in dict(headers or {}).items() if k.lower() == name), None)


def retry_after_of(err: Exception) -> float | None:
    """The Retry-After of a 429 Slack answered (None: not a 429)."""
    response = getattr(err, "response", None)
    if not isinstance(err, SlackApiError) or response is None or response.status_code != 429:
        return None
    return _seconds(_header(response.headers, "retry-after"))


def make_client(
    settings: Settings,
    token: str | None = None,
    *,
    logger: logging.Logger | None = None,
    retry_rate_limits: bool = True,
) -> WebClient:
    """A WebClient on SLACK_API_URL that retries 429s (unless `retry_rate_limits` is off),
    5xx and dropped connections and honours Retry-After (PacedWebClient); it logs to
    `logger` (slack_sdk's own by default)."""
    pace = RetryAfter()
    return PacedWebClient(
        token=token if token is not None else settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=retry_handlers(pace=pace, rate_limits=retry_rate_limits),
        logger=logger,
        retry_after=pace,
    )


def slack_error(err: Exception) -> str:
    """What a failed call said, for a log line: Slack's error code, the HTTP status, or the
    exception's type and text (never the token: logs are filtered too)."""
    if isinstance(err, SlackApiError) and err.response is not None:
        data = err.response.data
        code = data.get("error") if isinstance(data, dict) else None
        return str(code or f"HTTP {err.response.status_code}")
    return f"{type(err).__name__}: {err}"


def thread_messages(
    client: WebClient, channel: str, thread_ts: str, limit: int
) -> list[dict[str, Any]] | None:
    """The thread's first `limit` messages (its root first), or None when Slack cannot say.

    For callers to whom a thread is a hint (is this the assistant panel's thread? what did
    it start with?): a failed read is one log line, never raised, and they carry on as if
    they knew nothing."""
    try:
        replies = client.conversations_replies(channel=channel, ts=thread_ts, limit=limit)
    except Exception as err:
        log.info("could not read the thread %s/%s: %s", channel, thread_ts, slack_error(err))
        return None
    return [m for m in (replies.get("messages") or []) if isinstance(m, dict)]
