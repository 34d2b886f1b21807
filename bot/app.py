"""The Bolt app and the services its listeners share (Slack client, library, DB, workers).

Listeners only ack and hand work to `Coach.submit`: a bounded pool of workers answers, so
the 3-second ack Slack needs never waits. Searches are CPU bound and run one at a time
(batched when they queue up); the other workers meanwhile talk to Slack and the database.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient
from sqlalchemy import Engine

from bot.daily_quote.rotation import quote_of_the_day
from bot.log_safety import install_token_filter
from bot.settings import Settings
from bot.store.events import EventStore
from bot.store.feedback import FeedbackStore
from bot.store.tips import TipHistory
from index.library import Library
from index.tips import random_tip
from index.types import Passage, Quote, SearchResult

log = logging.getLogger(__name__)


def install_token_masking() -> None:
    """Every log handler masks Slack tokens (bot.log_safety), whoever logs them."""
    install_token_filter()


# ---- Web API retries ------------------------------------------------------------------
class RateLimitRetry(RetryHandler):
    """HTTP 429: wait exactly what Retry-After says, a bounded number of times.

    A wait longer than `max_wait` is not worth holding a worker for: give up (the caller
    logs it) rather than retry early into another 429.
    """

    def __init__(self, max_retry_count: int = 3, max_wait: float = 60.0) -> None:
        super().__init__(max_retry_count)
        self.max_wait = max_wait

    @staticmethod
    def retry_after(response: HttpResponse | None) -> float:
        if response is None:
            return 1.0
        for name, values in response.headers.items():
            if name.lower() == "retry-after":
                raw = values[0] if isinstance(values, list) and values else values
                try:
                    return max(0.0, float(str(raw)))
                except ValueError:
                    return 1.0
        return 1.0

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = self.retry_after(response)
        if wait > self.max_wait:
            log.warning("Slack asked to wait %.0fs before retrying; giving up instead", wait)
            return False
        return True

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = self.retry_after(response)
        log.warning("Slack rate-limited %s; retrying in %.1fs", _method_of(request), wait)
        state.next_attempt_requested = True
        time.sleep(wait)
        state.increment_current_attempt()


class ServerErrorRetry(RetryHandler):
    """HTTP 5xx from Slack: a couple of retries with backoff."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code >= 500


def _method_of(request: HttpRequest) -> str:
    return str(getattr(request, "url", "")).rsplit("/", 1)[-1]


def retry_handlers(max_wait: float = 60.0) -> list[RetryHandler]:
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
    return [
        ConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
        RateLimitRetry(max_retry_count=3, max_wait=max_wait),
        ServerErrorRetry(max_retry_count=2, interval_calculator=backoff),
    ]


def make_client(settings: Settings, token: str | None = None) -> WebClient:
    """A WebClient on SLACK_API_URL that retries 429s, 5xx and dropped connections."""
    return WebClient(
        token=token if token is not None else settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=retry_handlers(),
    )


# ---- the shared services ---------------------------------------------------------------
class TrackingExecutor(ThreadPoolExecutor):
    """A thread pool that knows how many jobs are queued or running (for idle checks)."""

    def __init__(self, max_workers: int, thread_name_prefix: str = "") -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._count = 0
        self._cond = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._cond:
            self._count += 1

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                with self._cond:
                    self._count -= 1
                    self._cond.notify_all()

        return super().submit(run)

    @property
    def in_flight(self) -> int:
        return self._count

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._count == 0, timeout)


# ---- -----------------------------------------------------------
class Coach:
    """Everything a listener needs, created once per process."""

    # checked suggestions per library (they cost a few searches to find)
    _suggestion_cache: dict[int, list[str]] = {}

    def __init__(
        self,
        settings: Settings,
        library: Library,
        engine: Engine,
        client: WebClient,
        *,
        workers: int = 8,
        max_pending: int = 1000,
    ) -> None:
        self.settings = settings
        self.library = library
        self.engine = engine
        self.client = client
        self.events = EventStore(engine)
        self.feedback = FeedbackStore(engine)
        self.tips = TipHistory(engine)
        self.bot_user_id: str | None = None
        self.bot_id: str | None = None
        self._pool = TrackingExecutor(max_workers=workers, thread_name_prefix="coach-work")
        self.listener_executor = TrackingExecutor(max_workers=16, thread_name_prefix="bolt")
        self._search_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[tuple[str, Future[SearchResult]]] = []
        self.max_batch = 16
        self._pending = 0
        self._pending_lock = threading.Lock()
        self.max_pending = max_pending
        self._passages = {p.id: p for p in library.passages}
        self._rng = random.Random()
        self._suggestions: list[str] | None = None

    # ---- work ---------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any] | None:
        """Run `fn` on the worker pool; None (and a log line) when too much is queued."""
        with self._pending_lock:
            if self._pending >= self.max_pending:
                log.warning("work queue full (%d pending); dropping a job", self._pending)
                return None
            self._pending += 1

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception:
                log.exception("background job %s failed", getattr(fn, "__name__", fn))
                return None
            finally:
                with self._pending_lock:
                    self._pending -= 1

        return self._pool.submit(run)

    @property
    def pending(self) -> int:
        return self._pending

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no listener or background job is queued or running (tests, bench)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = deadline - time.monotonic()
            if not self.listener_executor.wait_idle(left):
                return False
            if not self._pool.wait_idle(max(0.0, deadline - time.monotonic())):
                return False
            if self.listener_executor.in_flight == 0 and self._pool.in_flight == 0:
                return True
        return False

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
        self.listener_executor.shutdown(wait=wait, cancel_futures=not wait)

    # ---- library --------------------------------------------------------------------
    def search(
        self, question: str, *, context: str | None = None, offset: int = 0, k: int | None = None
    ) -> SearchResult:
        """One search at a time (torch already uses every core for one query).

        Plain questions that queue up meanwhile (a burst of mentions) are searched together
        in one embedding batch, which costs little more than a single one.
        """
        k = k or self.settings.top_k
        if context is None and offset == 0 and k == self.settings.top_k:
            return self._search_batched(question)
        with self._search_lock:
            return self.library.search(
                question,
                k,
                offset=offset,
                context=context,
                max_chars=self.settings.max_question_chars,
            )

    def _search_batched(self, question: str) -> SearchResult:
        mine: Future[SearchResult] = Future()
        with self._queue_lock:
            self._queue.append((question, mine))
        while not mine.done():
            with self._search_lock:
                if mine.done():  # another thread's batch included this question
                    break
                with self._queue_lock:
                    batch = self._queue[: self.max_batch]
                    del self._queue[: self.max_batch]
                if not batch:
                    continue
                try:
                    results = self.library.search_many(
                        [q for q, _ in batch],
                        self.settings.top_k,
                        max_chars=self.settings.max_question_chars,
                    )
                except Exception as err:
                    for _, future in batch:
                        future.set_exception(err)
                else:
                    for (_, future), result in zip(batch, results, strict=True):
                        future.set_result(result)
        return mine.result()

    def suggestions(self, n: int = 3, seed: str = "") -> list[str]:
        """Questions phrased from the library's topics that it really answers (checked once)."""
        if self._suggestions is None:
            self._suggestions = Coach._suggestion_cache.get(id(self.library))
        if self._suggestions is None:
            from bot.blocks import SUGGESTION_TEMPLATES, topic_label

            found: list[str] = []
            for i, topic in enumerate(self.topics[:24]):
                for j in range(len(SUGGESTION_TEMPLATES)):
                    template = SUGGESTION_TEMPLATES[(i + j) % len(SUGGESTION_TEMPLATES)]
                    question = template.format(t=topic_label(topic))
                    if self.search(question).answered:
                        found.append(question)
                        break
                if len(found) >= 12:
                    break
            self._suggestions = found
            Coach._suggestion_cache[id(self.library)] = found
        if not self._suggestions:
            return []
        start = sum(map(ord, seed)) % len(self._suggestions)
        rotated = self._suggestions[start:] + self._suggestions[:start]
        return rotated[:n]

    def passage(self, passage_id: str) -> Passage | None:
        return self._passages.get(passage_id)

    @property
    def topics(self) -> list[str]:
        return list(self.library.topics)

    def todays_quote(self, today: date | None = None) -> Quote | None:
        """Today's quote for App Home: the rotation's pick, or the library's by date."""
        return quote_of_the_day(self.settings, self.library, self.engine, today)

    def pick_tip(self, user_id: str, topic: str | None) -> tuple[Passage, str | None] | None:
        """A short passage for /leadership-tip: on the topic if given, never the last one."""
        recent = self.tips.recent(user_id, limit=5)
        last = recent[0] if recent else None
        chosen: tuple[Passage, str | None] | None = None
        if topic:
            result = self.search(topic, k=8)
            if not result.answered or not result.hits:
                return None
            hits = list(result.hits)
            fresh = [h for h in hits if h.passage.id not in recent]
            other = [h for h in hits if h.passage.id != last]
            hit = (fresh or other or hits)[0]
            chosen = (hit.passage, hit.key_sentence)
        else:
            picked = random_tip(self.library.tip_pool(), avoid=recent, rng=self._rng)
            if picked is None:
                return None
            chosen = (picked, None)
        self.tips.record(user_id, chosen[0].id, topic)
        return chosen

    # ---- Slack output -----------------------------------------------------------------
    def post(
        self, channel: str, message: dict[str, Any], thread_ts: str | None = None
    ) -> str | None:
        """chat.postMessage with retries; the new ts, or None after logging a failure."""
        try:
            response = self.client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=message["text"],
                blocks=message.get("blocks"),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as err:
            log.warning(
                "could not post to %s: %s",
                channel,
                err.response.get("error") or err.response.status_code,
            )
            return None
        except Exception as err:  # network gone after retries
            log.warning("could not post to %s: %s", channel, err)
            return None
        return response.get("ts")

    def ephemeral(
        self, channel: str, user: str, message: dict[str, Any], thread_ts: str | None = None
    ) -> bool:
        try:
            self.client.chat_postEphemeral(
                channel=channel,
                user=user,
                thread_ts=thread_ts,
                text=message["text"],
                blocks=message.get("blocks"),
            )
        except SlackApiError as err:
            log.warning("could not post ephemeral in %s: %s", channel, err.response.get("error"))
            return False
        except Exception as err:
            log.warning("could not post ephemeral in %s: %s", channel, err)
            return False
        return True

    def respond(self, response_url: str | None, message: dict[str, Any], **options: Any) -> bool:
        """Post to a response_url (slash command / button) with the same retry policy."""
        if not response_url:
            log.warning("no response_url to answer on")
            return False
        try:
            response = WebhookClient(
                url=response_url, timeout=15, retry_handlers=retry_handlers()
            ).send_dict({**message, **options})
        except Exception as err:
            log.warning("could not answer on the response_url: %s", err)
            return False
        if response.status_code >= 300:
            log.warning("response_url answered HTTP %s", response.status_code)
            return False
        return True


_COACHES: weakref.WeakKeyDictionary[App, Coach] = weakref.WeakKeyDictionary()


def coach_of(app: App) -> Coach:
    """The Coach that `build_app` attached to this app."""
    return _COACHES[app]


def build_app(
    settings: Settings,
    library: Library,
    engine: Engine,
    client: WebClient | None = None,
    *,
    socket_mode: bool = False,
    workers: int = 8,
) -> App:
    """A Bolt app with every listener registered; auth.test runs once here."""
    from bot.listeners import register_listeners

    client = client or make_client(settings)
    coach = Coach(settings, library, engine, client, workers=workers)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        listener_executor=coach.listener_executor,
        raise_error_for_unhandled_request=False,
        token_verification_enabled=False,  # serve() runs auth.test itself, with a clear error
    )
    try:
        auth = client.auth_test()
        coach.bot_user_id = auth.get("user_id")
        coach.bot_id = auth.get("bot_id")
    except SlackApiError:
        log.warning("auth.test failed while building the app")
    _COACHES[app] = coach
    coach.submit(coach.suggestions)  # warm: the first "no answer" should not pay for it
    register_listeners(app, coach)
    return app
