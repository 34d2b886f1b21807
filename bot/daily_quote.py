"""The morning quote: pick it, post it exactly once per channel per day, and schedule it.

Exactly-once rests on the ledger (bot.quote_ledger): a process must win the UNIQUE
(channel, local_date) claim before it calls chat.postMessage, renews a short lease before
every Slack call, and records the message ts afterwards. A claim left in 'posting' by a
process that died is taken over once its lease lapses; if an earlier attempt may have
reached Slack, the channel history is searched for the message (its metadata carries the
ledger key) before anything is posted again.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any, Protocol
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.quote_blocks import quote_message
from bot.quote_ledger import (
    FAILED,
    POSTED,
    Claim,
    LedgerRow,
    claim,
    get_row,
    ledger_key,
    log_forced_post,
    mark_failed,
    mark_posted,
    plan_choice,
    record_choice,
    recorded_choice,
    renew,
    stale_rows,
    take_over,
)
from bot.settings import DAY_NAMES, Settings
from index.errors import CoachError
from index.types import Quote

log = logging.getLogger(__name__)

EVENT_TYPE = "daily_quote"  # message metadata marker that recovery looks for
LEASE = timedelta(seconds=75)  # a claim not renewed for this long belongs to a dead process
HISTORY_MARGIN = timedelta(minutes=2)  # clock skew allowance when searching the history
MIN_WINDOW = timedelta(minutes=2)  # even QUOTE_GRACE_MINUTES=0 leaves a few ticks to post
RETRY_DELAY = timedelta(seconds=60)  # after a failed tick, the next tick that may retry
API_ERROR_DELAY = timedelta(minutes=15)  # ok:false (e.g. not_in_channel): a person must act
MAX_ATTEMPTS = 3  # chat.postMessage calls per tick
MAX_INLINE_WAIT = 30.0  # longest Retry-After honoured in-thread; longer -> a later tick
HISTORY_PAGES = 5

Clock = Callable[[], datetime]
Sleep = Callable[[float], Any]


class HasQuotes(Protocol):
    """All the daily quote needs from the Library."""

    quotes: list[Quote]


class NoQuotesError(CoachError):
    """content/ has no quotes, so there is nothing to post."""

    def __init__(self) -> None:
        super().__init__("No quotes in the library: add a quotes file under content/.")


@dataclass(frozen=True)
class PostOutcome:
    """What one attempt to post the day's quote did, with a sentence for a person.

    status: "posted" (a message was sent now), "recovered" (an earlier attempt had reached
    the channel; it is now recorded), "already_posted", "in_progress" (another process
    holds today's claim), "failed" (will be retried by a later tick within the window),
    "missed" (window closed), "off" (QUOTE_CHANNEL unset), "no_quotes".
    """

    status: str
    message: str
    channel: str | None
    local_date: date
    quote: Quote | None = None
    ts: str | None = None
    forced: bool = False

    @property
    def posted(self) -> bool:
        """True when a message is in the channel for this day (sent now or found)."""
        return self.status in ("posted", "recovered", "already_posted")

    @property
    def ok(self) -> bool:
        """Nothing for a person to fix: posted, or being posted by another process."""
        return self.posted or self.status == "in_progress"

    def __str__(self) -> str:
        return self.message


# ---- schedule ---------------------------------------------------------------------------


def utc_now() -> datetime:
    """The default clock; tests inject their own."""
    return datetime.now(UTC)


def is_quote_day(settings: Settings, day: date) -> bool:
    """Whether QUOTE_DAYS includes `day` (a date in QUOTE_TIMEZONE)."""
    return DAY_NAMES[day.weekday()] in settings.quote_days


def due_at(settings: Settings, day: date) -> datetime:
    """QUOTE_TIME on `day` in QUOTE_TIMEZONE, as an aware datetime (DST handled by zoneinfo)."""
    hour, minute = settings.quote_hour_minute
    return datetime.combine(day, dtime(hour, minute), tzinfo=settings.tz)


def window_end(settings: Settings, day: date) -> datetime:
    """Last moment a late (restarted) process may still post `day`'s quote.

    Added in UTC so a DST change inside the window does not stretch or shrink it.
    """
    grace = max(timedelta(minutes=settings.quote_grace_minutes), MIN_WINDOW)
    return due_at(settings, day).astimezone(UTC) + grace


def local_day(settings: Settings, now: datetime) -> date:
    """The calendar day in QUOTE_TIMEZONE: the ledger's notion of "today"."""
    return now.astimezone(settings.tz).date()


# ---- choice -----------------------------------------------------------------------------


def quote_for_date(
    library_quotes: Sequence[Quote], engine: Engine, day: date, *, ahead: int = 0
) -> Quote:
    """The quote `day` got, or will get if nothing else is posted first; never posts.

    Reads the recorded choice when there is one; otherwise asks the rotation (shuffled
    order, no repeats until every quote was used) what it would pick for `day`, after
    `ahead` further unrecorded quote days (todays_quote counts them for future dates).
    """
    by_key = {q.key: q for q in library_quotes}
    if not by_key:
        raise NoQuotesError()
    key = recorded_choice(engine, day)
    if key in by_key:
        return by_key[key]  # type: ignore[index]
    key, _cycle = plan_choice(engine, list(by_key), day, ahead=ahead)
    return by_key[key]


def todays_quote(
    settings: Settings,
    library: HasQuotes,
    engine: Engine,
    today: date | None = None,
    *,
    now: datetime | None = None,
) -> Quote:
    """The quote of `today` (default: today in QUOTE_TIMEZONE), without posting anything.

    For App Home and `coach quote [--date]`: what the ledger recorded, or what will be
    posted. A future date assumes each quote day before it gets its post as scheduled.
    """
    now = now or utc_now()
    current = local_day(settings, now)
    day = today or current
    by_key = {q.key: q for q in library.quotes}
    if settings.quote_channel:
        row = get_row(engine, settings.quote_channel, day)
        if row is not None and row.quote_key in by_key:
            return by_key[row.quote_key]
    return quote_for_date(
        library.quotes, engine, day, ahead=_days_before(settings, engine, now, day)
    )


def _days_before(settings: Settings, engine: Engine, now: datetime, day: date) -> int:
    """Quote days from now until `day` whose choice is still to be made."""
    current = local_day(settings, now)
    if day <= current:
        return 0
    ahead = 0
    if (
        is_quote_day(settings, current)
        and now <= window_end(settings, current)
        and recorded_choice(engine, current) is None
    ):
        ahead += 1
    probe = current + timedelta(days=1)
    while probe < day:
        ahead += is_quote_day(settings, probe)
        probe += timedelta(days=1)
    return ahead


# ---- Slack errors -----------------------------------------------------------------------


@dataclass(eq=False)
class SlackFailure(Exception):
    """A Slack call that failed, sorted by what to do about it.

    kind: "rate_limited" (nothing was posted; wait retry_after), "server" / "connection"
    (the post may or may not have happened), "api" (ok:false; retrying won't help soon).
    """

    kind: str
    detail: str
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"

    @property
    def ambiguous(self) -> bool:
        return self.kind in ("server", "connection")


def classify(exc: Exception) -> SlackFailure:
    """Turn a slack_sdk/urllib exception into a SlackFailure; messages never hold the token."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if status == 429:
            return SlackFailure("rate_limited", "HTTP 429", _retry_after(exc.response.headers))
        if status >= 500:
            return SlackFailure("server", f"HTTP {status} {error or ''}".strip())
        return SlackFailure("api", str(error or f"HTTP {status}"))
    if isinstance(exc, (URLError, OSError, TimeoutError)):
        return SlackFailure("connection", type(exc).__name__)
    raise exc


def _retry_after(headers: Any) -> float:
    """Seconds from a Retry-After header (Slack sends whole seconds); 1 when absent."""
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            if isinstance(value, list):
                value = value[0] if value else None
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                break
    return 1.0


# ---- the poster -------------------------------------------------------------------------


def single_shot(client: WebClient) -> WebClient:
    """A shallow copy of `client` whose transport never re-sends a request by itself.

    The app's client retries 429/5xx/dropped connections inside slack_sdk. For the daily
    post that could send the message twice (a 5xx after Slack stored it) or keep sleeping
    past our claim's lease, so the ledger-aware loop below does all the retrying instead.
    """
    if not getattr(client, "retry_handlers", None):
        return client
    clone = copy.copy(client)
    clone.retry_handlers = []
    return clone


def make_owner() -> str:
    """Who holds a claim: host, pid and a random part, so a restart is a new owner."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


class DailyQuoter:
    """Posts the day's quote for one channel; used by the scheduler and by `coach quote`."""

    def __init__(
        self,
        settings: Settings,
        library: HasQuotes,
        client: WebClient,
        engine: Engine,
        *,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        owner: str | None = None,
        lease: timedelta = LEASE,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.settings = settings
        self.library = library
        self.client = single_shot(client)
        self.engine = engine
        self.channel = settings.quote_channel or None
        self.clock: Clock = clock or utc_now
        self.sleep: Sleep = sleep or time.sleep
        self.owner = owner or make_owner()
        self.lease = lease
        self.max_attempts = max(1, max_attempts)
        self._noted: set[tuple[str, date]] = set()

    # -- time ------------------------------------------------------------------------------
    def now(self) -> datetime:
        moment = self.clock()
        if moment.tzinfo is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return moment

    def _note_once(self, what: str, day: date, message: str, *args: object) -> None:
        """Log a per-day condition once, not on every tick."""
        if (what, day) not in self._noted:
            self._noted.add((what, day))
            log.info(message, *args)

    # -- entry points ----------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> PostOutcome | None:
        """One scheduler wake-up: resolve dead claims, then post if a day's quote is due.

        Yesterday is looked at too: a late QUOTE_TIME plus the grace can run past midnight.
        """
        if not self.channel:
            return None
        now = now or self.now()
        self.recover(now)
        today = local_day(self.settings, now)
        outcome = None
        for day in (today - timedelta(days=1), today):
            outcome = self._tick_day(day, now) or outcome
        return outcome

    def _tick_day(self, day: date, now: datetime) -> PostOutcome | None:
        assert self.channel
        if not is_quote_day(self.settings, day):
            return None
        due, end = due_at(self.settings, day), window_end(self.settings, day)
        if now < due:
            return None
        row = get_row(self.engine, self.channel, day)
        if now > end:
            if row is None and local_day(self.settings, now) == day:
                self._note_once(
                    "missed",
                    day,
                    "Daily quote for %s was not posted by %s; skipping the day.",
                    day,
                    end.isoformat(timespec="minutes"),
                )
            return None
        if row is not None and row.state == POSTED:
            return None
        if row is not None and row.state == FAILED and _retry_not_due(row, now):
            return None
        if not self.library.quotes:
            self._note_once("empty", day, "Daily quote is due but the library has no quotes.")
            return None
        return self._post_day(day, now, deadline=end, force=False)

    def post_today(self, *, force: bool = False, now: datetime | None = None) -> PostOutcome:
        """Post today's quote now (manual run); the ledger still prevents a second post."""
        now = now or self.now()
        day = local_day(self.settings, now)
        if not self.channel:
            return PostOutcome(
                "off", "QUOTE_CHANNEL is not set, so the daily quote is off.", None, day
            )
        if not self.library.quotes:
            return PostOutcome("no_quotes", str(NoQuotesError()), self.channel, day)
        return self._post_day(day, now, deadline=None, force=force)

    def recover(self, now: datetime | None = None) -> list[PostOutcome]:
        """Resolve claims stuck in 'posting' by a dead process (kill -9 mid-post).

        The history tells whether its message went out: if so the row becomes posted with
        that ts; if not, and the day's window is still open, the quote is posted now.
        """
        if not self.channel:
            return []
        now = now or self.now()
        today = local_day(self.settings, now)
        outcomes = []
        for row in stale_rows(
            self.engine, self.channel, now, self.lease, since=today - timedelta(days=1)
        ):
            log.warning(
                "Daily quote claim for %s in %s was left mid-post by %s; recovering it.",
                row.local_date,
                row.channel,
                row.owner,
            )
            if not take_over(self.engine, row, self.owner, now):
                continue  # another replica got there first
            fresh = get_row(self.engine, row.channel, row.local_date)
            assert fresh is not None
            deadline = window_end(self.settings, row.local_date)
            quote = self._quote_by_key(fresh.quote_key)
            outcomes.append(self._deliver(Claim("taken_over", fresh), quote, deadline=deadline))
        return outcomes

    # -- internals -------------------------------------------------------------------------
    def _quote_by_key(self, key: str) -> Quote | None:
        for quote in self.library.quotes:
            if quote.key == key:
                return quote
        return None

    def _choose(self, day: date, now: datetime) -> Quote:
        """Record (or read) the day's choice; a quote since removed from content/ is replaced."""
        quotes = list(self.library.quotes)
        key = record_choice(self.engine, [q.key for q in quotes], day, now)
        found = self._quote_by_key(key)
        return found if found is not None else quote_for_date(quotes, self.engine, day)

    def _post_day(
        self, day: date, now: datetime, *, deadline: datetime | None, force: bool
    ) -> PostOutcome:
        assert self.channel
        chosen = self._choose(day, now)
        got = claim(
            self.engine,
            self.channel,
            day,
            chosen.key,
            self.owner,
            now,
            self.lease,
            ignore_backoff=deadline is None,
        )
        quote = self._quote_by_key(got.row.quote_key) or chosen
        if got.ours:
            outcome = self._deliver(got, quote, deadline=deadline)
            if force and outcome.status == "recovered":
                return self._post_forced(got.row, quote)
            return outcome
        row = got.row
        if force:
            return self._post_forced(row, quote)
        if got.status == "posted":
            return PostOutcome(
                "already_posted",
                f"Today's quote ({day}) was already posted to {row.channel} "
                f"(ts {row.message_ts}); use --force to post it again.",
                row.channel,
                day,
                quote,
                row.message_ts,
            )
        if got.status == "busy":
            return PostOutcome(
                "in_progress",
                f"Another process ({row.owner}) is posting today's quote to {row.channel} "
                "right now; nothing more to do.",
                row.channel,
                day,
                quote,
            )
        return PostOutcome(
            "failed",
            f"Posting today's quote failed ({row.last_error}); the next retry is after "
            f"{row.next_attempt_at}.",
            row.channel,
            day,
            quote,
        )

    def _deliver(
        self, got: Claim, quote: Quote | None, *, deadline: datetime | None
    ) -> PostOutcome:
        """Send the claimed row's message with bounded retries; record how it ended.

        `deadline` None means a manual run (post whenever); otherwise nothing is sent after
        it. Before re-sending after an attempt that may have reached Slack, the channel
        history is checked so a message is never doubled.
        """
        row = got.row
        day = row.local_date
        must_check = got.status == "taken_over" and row.attempts > 0
        last_failure: SlackFailure | None = None
        for attempt in range(1, self.max_attempts + 1):
            final = attempt == self.max_attempts
            now = self.now()
            if must_check:
                if not renew(self.engine, row.id, self.owner, now, attempt=False):
                    return self._usurped(row, quote)
                try:
                    ts = self._find_posted(row, quote)
                except SlackFailure as failure:
                    if failure.kind == "api":
                        log.warning(
                            "Cannot read %s history (%s) to check for an earlier daily quote "
                            "post; posting anyway. Grant channels:history/groups:history.",
                            row.channel,
                            failure.detail,
                        )
                        ts = None
                    else:
                        last_failure = failure
                        if final:
                            break
                        self._backoff(failure, attempt)
                        continue
                if ts is not None:
                    mark_posted(self.engine, row.id, self.owner, ts, self.now(), recovered=True)
                    log.info("Daily quote for %s was already in %s (ts %s).", day, row.channel, ts)
                    return PostOutcome(
                        "recovered",
                        f"Today's quote was already in {row.channel} (ts {ts}); recorded it.",
                        row.channel,
                        day,
                        quote,
                        ts,
                    )
                must_check = False
            if quote is None:
                mark_failed(
                    self.engine, row.id, self.owner, "quote no longer in the library", now, None
                )
                return PostOutcome(
                    "failed", "The day's quote is no longer in the library.", row.channel, day
                )
            if deadline is not None and now > deadline:
                mark_failed(self.engine, row.id, self.owner, "window closed", now, None)
                log.info("Daily quote for %s not posted: its window closed at %s.", day, deadline)
                return PostOutcome(
                    "missed", f"The window for {day}'s quote has closed.", row.channel, day, quote
                )
            if not renew(self.engine, row.id, self.owner, now, attempt=True):
                return self._usurped(row, quote)
            try:
                ts = self._send(row.channel, row.local_date, quote, forced=False)
            except SlackFailure as failure:
                last_failure = failure
                log.warning(
                    "Posting the daily quote to %s failed (attempt %d/%d): %s",
                    row.channel,
                    attempt,
                    self.max_attempts,
                    failure,
                )
                if failure.kind == "api" or final:
                    break
                if failure.kind == "rate_limited" and (failure.retry_after or 0) > MAX_INLINE_WAIT:
                    break
                must_check = failure.ambiguous
                self._backoff(failure, attempt)
                continue
            mark_posted(self.engine, row.id, self.owner, ts, self.now())
            log.info("Posted the daily quote for %s to %s (ts %s).", day, row.channel, ts)
            return PostOutcome(
                "posted",
                f"Posted today's quote to {row.channel} (ts {ts}).",
                row.channel,
                day,
                quote,
                ts,
            )
        return self._give_up(row, quote, last_failure)

    def _give_up(
        self, row: LedgerRow, quote: Quote | None, failure: SlackFailure | None
    ) -> PostOutcome:
        """Mark the row failed so a later tick (within the window) retries it."""
        now = self.now()
        if failure is None:
            delay = RETRY_DELAY
        elif failure.kind == "api":
            delay = API_ERROR_DELAY
        elif failure.kind == "rate_limited":
            delay = max(RETRY_DELAY, timedelta(seconds=failure.retry_after or 0))
        else:
            delay = RETRY_DELAY
        detail = str(failure) if failure else "unknown error"
        mark_failed(self.engine, row.id, self.owner, detail, now, now + delay)
        log.error(
            "Could not post the daily quote for %s to %s (%s); will retry after %s.",
            row.local_date,
            row.channel,
            detail,
            (now + delay).isoformat(timespec="seconds"),
        )
        return PostOutcome(
            "failed",
            f"Posting today's quote to {row.channel} failed ({detail}); "
            "it will be retried within the posting window.",
            row.channel,
            row.local_date,
            quote,
        )

    def _usurped(self, row: LedgerRow, quote: Quote | None) -> PostOutcome:
        log.warning("Lost the daily quote claim for %s to another process.", row.local_date)
        return PostOutcome(
            "in_progress",
            "Another process took over today's quote.",
            row.channel,
            row.local_date,
            quote,
        )

    def _backoff(self, failure: SlackFailure, attempt: int) -> None:
        """Honour Retry-After for 429; short exponential pause for 5xx/connection errors."""
        if failure.kind == "rate_limited":
            self.sleep(min(failure.retry_after or 1.0, MAX_INLINE_WAIT))
        else:
            self.sleep(min(2.0 ** (attempt - 1), 8.0))

    def _send(self, channel: str, day: date, quote: Quote, *, forced: bool) -> str | None:
        """One chat.postMessage; the metadata marker is what recovery searches for."""
        message = quote_message(quote)
        try:
            response = self.client.chat_postMessage(
                channel=channel,
                text=message["text"],
                blocks=message["blocks"],
                unfurl_links=False,
                unfurl_media=False,
                metadata={
                    "event_type": EVENT_TYPE,
                    "event_payload": {
                        "ledger_key": ledger_key(channel, day),
                        "quote_key": quote.key,
                        "forced": forced,
                    },
                },
            )
        except Exception as exc:  # classify() re-raises what it doesn't know
            raise classify(exc) from None
        return response.get("ts")

    def _find_posted(self, row: LedgerRow, quote: Quote | None) -> str | None:
        """The ts of this row's message if an earlier attempt did reach the channel."""
        oldest = (row.claimed_at - HISTORY_MARGIN).timestamp()
        want_key = row.ledger_key
        want_text = quote_message(quote)["text"] if quote is not None else None
        cursor: str | None = None
        for _page in range(HISTORY_PAGES):
            try:
                response = self.client.conversations_history(
                    channel=row.channel,
                    oldest=f"{oldest:.6f}",
                    limit=200,
                    include_all_metadata=True,
                    cursor=cursor,
                )
            except Exception as exc:
                raise classify(exc) from None
            for message in response.get("messages") or []:
                meta = message.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == EVENT_TYPE:
                    if payload.get("ledger_key") == want_key and not payload.get("forced"):
                        return str(message.get("ts"))
                    continue
                if want_text and message.get("bot_id") and message.get("text") == want_text:
                    return str(message.get("ts"))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor or not response.get("has_more"):
                break
        return None

    def _post_forced(self, row: LedgerRow, quote: Quote) -> PostOutcome:
        """`--force`: post the day's quote again and log it; the claim row is left as is."""
        failure: SlackFailure | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                ts = self._send(row.channel, row.local_date, quote, forced=True)
            except SlackFailure as exc:
                failure = exc
                if exc.kind == "api" or attempt == self.max_attempts:
                    break
                self._backoff(exc, attempt)
                continue
            log_forced_post(
                self.engine, row.channel, row.local_date, quote.key, ts, self.owner, self.now()
            )
            log.info("Force-posted the daily quote for %s to %s.", row.local_date, row.channel)
            return PostOutcome(
                "posted",
                f"Posted today's quote to {row.channel} again (--force, ts {ts}).",
                row.channel,
                row.local_date,
                quote,
                ts,
                forced=True,
            )
        return PostOutcome(
            "failed",
            f"Forced post to {row.channel} failed ({failure}).",
            row.channel,
            row.local_date,
            quote,
            forced=True,
        )


def _retry_not_due(row: LedgerRow, now: datetime) -> bool:
    """A failed row waits for its next_attempt_at (NEVER once its window has closed)."""
    return row.next_attempt_at is not None and row.next_attempt_at > now


def post_today(
    settings: Settings,
    library: HasQuotes,
    client: WebClient,
    engine: Engine,
    *,
    force: bool = False,
    now: datetime | None = None,
) -> PostOutcome:
    """`coach quote --post`: post today's quote now unless the ledger says it is done.

    force=True posts it again (recorded in the post log) even if it was already posted.
    """
    quoter = DailyQuoter(settings, library, client, engine, clock=(lambda: now) if now else None)
    return quoter.post_today(force=force, now=now)


# ---- the scheduler ----------------------------------------------------------------------


class SchedulerHandle:
    """A running daily-quote scheduler (a daemon thread); `.stop()` ends it."""

    def __init__(self, quoter: DailyQuoter | None, tick_seconds: float) -> None:
        self.quoter = quoter
        self.tick_seconds = tick_seconds
        self.ticks = 0
        self.last_outcome: PostOutcome | None = None
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.quoter is not None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> SchedulerHandle:
        if self.quoter is not None and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="daily-quote", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish and wait for it (a no-op when the quote is off)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def wait_for_ticks(self, count: int, timeout: float = 10.0) -> bool:
        """Block until `count` ticks have run (tests use this instead of sleeping)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.ticks < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def _run(self) -> None:
        assert self.quoter is not None
        while not self._stop.is_set():
            outcome: PostOutcome | None = None
            try:
                outcome = self.quoter.tick()
            except Exception:  # never let one bad tick end the thread
                log.exception("Daily quote tick failed; trying again in %ss.", self.tick_seconds)
            with self._cond:
                self.ticks += 1
                if outcome is not None:
                    self.last_outcome = outcome
                self._cond.notify_all()
            self._stop.wait(self.tick_seconds)


def start_scheduler(
    settings: Settings,
    library: HasQuotes,
    client: WebClient,
    engine: Engine,
    *,
    tick_seconds: float = 30,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
) -> SchedulerHandle:
    """Start the daemon thread that posts the daily quote; it ticks right away (recovery).

    With QUOTE_CHANNEL unset the returned handle does nothing and the quote is off.
    """
    if not settings.quote_channel:
        log.info("QUOTE_CHANNEL is not set: the daily quote is off.")
        return SchedulerHandle(None, tick_seconds)
    if not re.fullmatch(r"[CGD][A-Z0-9]{6,}", settings.quote_channel):
        log.warning(
            "QUOTE_CHANNEL=%r does not look like a channel ID (e.g. C0123ABCD); crash recovery "
            "reads conversations.history, which needs the ID, not the name.",
            settings.quote_channel,
        )
    handle = SchedulerHandle(None, tick_seconds)
    quoter = DailyQuoter(
        settings,
        library,
        client,
        engine,
        clock=clock,
        sleep=sleep or (lambda seconds: handle._stop.wait(seconds)),
    )
    handle.quoter = quoter
    log.info(
        "Daily quote: %s at %s %s on %s (grace %d min).",
        settings.quote_channel,
        settings.quote_time,
        settings.quote_timezone,
        ",".join(settings.quote_days),
        settings.quote_grace_minutes,
    )
    return handle.start()
