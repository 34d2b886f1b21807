"""The daily-quote scheduler: a daemon thread that ticks every channel's poster every half
minute. The plans are read again on each tick, so `coach quote schedule add/remove` takes
effect in a running `coach serve` without a restart."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.daily_quote.channels import all_plans
from bot.daily_quote.plan import CHANNEL_ID, QuotePlan
from bot.daily_quote.poster import DailyQuoter, PostOutcome
from bot.daily_quote.reflecting import Reflections
from bot.daily_quote.rotation import HasQuotes
from bot.daily_quote.schedule import Clock, Sleep
from bot.settings import Settings

log = logging.getLogger(__name__)

PlanSource = Callable[[], list[QuotePlan]]


class QuoteScheduler:
    """One DailyQuoter per scheduled channel, kept in step with the stored plans."""

    def __init__(
        self,
        settings: Settings,
        library: HasQuotes,
        client: WebClient,
        engine: Engine,
        *,
        plans: PlanSource | None = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        reflections: Reflections | None = None,
    ) -> None:
        self.settings = settings
        self.library = library
        self.client = client
        self.engine = engine
        self.plans: PlanSource = plans or (lambda: all_plans(settings, engine))
        self.clock = clock
        self.sleep = sleep
        self.reflections = reflections
        self.quoters: dict[str, DailyQuoter] = {}

    def refresh(self) -> list[DailyQuoter]:
        """The posters for the current plans: a changed plan replaces its channel's poster."""
        current = {p.channel: p for p in self.plans()}
        for channel in list(self.quoters):
            if channel not in current:
                log.info("Quote schedule for %s removed.", channel)
                del self.quoters[channel]
        for channel, plan in current.items():
            known = self.quoters.get(channel)
            if known is not None and known.plan == plan:
                continue
            if not CHANNEL_ID.fullmatch(channel):
                log.warning(
                    "Quote channel %r does not look like a channel ID (e.g. C0123ABCD); crash "
                    "recovery reads conversations.history, which needs the ID, not the name.",
                    channel,
                )
            log.info("Daily quote: %s (grace %d min).", plan.describe(), plan.grace_minutes)
            self.quoters[channel] = DailyQuoter(
                self.settings,
                self.library,
                self.client,
                self.engine,
                clock=self.clock,
                sleep=self.sleep,
                plan=plan,
                reflections=self.reflections,
            )
        return list(self.quoters.values())

    def tick(self) -> PostOutcome | None:
        """Tick every channel; one channel's failure never stops the others'."""
        outcome: PostOutcome | None = None
        for quoter in self.refresh():
            try:
                outcome = quoter.tick() or outcome
            except Exception:
                log.exception("Daily quote tick for %s failed.", quoter.channel)
        return outcome


class SchedulerHandle:
    """A running daily-quote scheduler (a daemon thread); `.stop()` ends it."""

    def __init__(self, scheduler: QuoteScheduler | None, tick_seconds: float) -> None:
        self.scheduler = scheduler
        self.tick_seconds = tick_seconds
        self.ticks = 0
        self.last_outcome: PostOutcome | None = None
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.scheduler is not None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> SchedulerHandle:
        if self.scheduler is not None and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="daily-quote", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish and wait for it."""
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
        assert self.scheduler is not None
        while not self._stop.is_set():
            outcome: PostOutcome | None = None
            try:
                outcome = self.scheduler.tick()
            except Exception:  # never let one bad tick end the thread (e.g. DB down)
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
    reflections: Reflections | None = None,
    plans: PlanSource | None = None,
) -> SchedulerHandle:
    """Start the daemon thread that posts every scheduled channel's quote; it ticks right
    away (recovery). It runs even with nothing scheduled yet, so a schedule added later is
    picked up."""
    handle = SchedulerHandle(None, tick_seconds)
    handle.scheduler = QuoteScheduler(
        settings,
        library,
        client,
        engine,
        plans=plans,
        clock=clock,
        sleep=sleep or (lambda seconds: handle._stop.wait(seconds)),
        reflections=reflections,
    )
    scheduled = handle.scheduler.refresh()
    if not scheduled:
        log.info(
            "No quote channel yet (QUOTE_CHANNEL or `coach quote schedule add`); "
            "the daily quote starts when one is added."
        )
    return handle.start()
