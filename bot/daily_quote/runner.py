"""The daily-quote scheduler: a daemon thread that ticks every channel's poster every half
minute. The plans are read again on each tick, so `coach quote schedule add/remove` takes
effect in a running `coach serve` without a restart."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.background import Ticker
from bot.daily_quote.channels import all_plans
from bot.daily_quote.plan import QuotePlan
from bot.daily_quote.poster import DailyQuoter, PostOutcome
from bot.daily_quote.reflecting import Reflections
from bot.daily_quote.rotation import HasQuotes
from bot.daily_quote.schedule import Clock, Sleep
from bot.settings import CHANNEL_ID, Settings

log = logging.getLogger(__name__)

PlanSource = Callable[[], list[QuotePlan]]


class QuoterFor(Protocol):
    """Makes the poster for one channel's plan (e.g. a functools.partial of DailyQuoter)."""

    def __call__(self, *, plan: QuotePlan) -> DailyQuoter: ...


class QuoteScheduler:
    """One DailyQuoter per scheduled channel, kept in step with the stored plans (by default
    QUOTE_CHANNEL's and those in the database).

    `quoter_for` makes a channel's poster, so what posting needs (library, client, clock,
    reflections) is named once, where the posters are made (start_scheduler)."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        quoter_for: QuoterFor,
        *,
        plans: PlanSource | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.quoter_for = quoter_for
        self.plans: PlanSource = plans or (lambda: all_plans(settings, engine))
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
            self.quoters[channel] = self.quoter_for(plan=plan)
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


class SchedulerHandle(Ticker):
    """A running daily-quote scheduler (a daemon thread); `.stop()` ends it."""

    thread_name = "daily-quote"

    def __init__(self, scheduler: QuoteScheduler | None, tick_seconds: float) -> None:
        super().__init__(tick_seconds)
        self.scheduler = scheduler
        self.last_outcome: PostOutcome | None = None

    @property
    def enabled(self) -> bool:
        return self.scheduler is not None

    def start(self) -> SchedulerHandle:
        if self.scheduler is not None:
            super().start()
        return self

    def tick(self) -> PostOutcome | None:
        assert self.scheduler is not None
        return self.scheduler.tick()

    def after_tick(self, result: Any) -> None:
        if result is not None:
            self.last_outcome = result


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

    def quoter_for(*, plan: QuotePlan) -> DailyQuoter:
        return DailyQuoter(
            settings,
            library,
            client,
            engine,
            clock=clock,
            sleep=sleep or handle.wait,
            plan=plan,
            reflections=reflections,
        )

    handle.scheduler = QuoteScheduler(settings, engine, quoter_for, plans=plans)
    scheduled = handle.scheduler.refresh()
    if not scheduled:
        log.info(
            "No quote channel yet (QUOTE_CHANNEL or `coach quote schedule add`); "
            "the daily quote starts when one is added."
        )
    return handle.start()
