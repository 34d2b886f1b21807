"""The daily quote when Slack fails as it falls due, with three replicas on one database:
one quote after the outage, none lost, none doubled (a lost reply is looked for, and while
the channel history cannot be read nothing is posted). Time is the test's clock."""

from __future__ import annotations

from typing import Any

import pytest

from bot.daily_quote.outcome import OutcomeStatus
from bot.store.tables import LedgerState
from tests.daily_quote.quote_world import Clock, QuoteStub, World, make_world, row_state
from tests.slack_checks import assert_valid_message
from tests.slack_stub import missing_required


def in_channel(stub: QuoteStub) -> list[dict[str, Any]]:
    """The quotes Slack shows in the channel (a post whose reply was lost included)."""
    return [m for ms in stub.messages.values() for m in ms if not m.get("thread_ts")]


def checked(stub: QuoteStub) -> None:
    for call in stub.calls:
        assert missing_required(call) == [], call.method
    for call in stub.calls_to("chat.postMessage"):
        assert_valid_message(call)


@pytest.mark.parametrize(("status", "retry_after"), [(503, None), (429, 30)])
def test_three_replicas_due_in_a_slack_outage_post_one_quote_after_it(
    stub: QuoteStub, db_url: str, clock: Clock, status: int, retry_after: int | None
) -> None:
    replicas: list[World] = [make_world(stub, db_url, clock) for _ in range(3)]
    stub.fail("*", status=status, retry_after=retry_after, times=100)  # Slack down meanwhile
    during = [r.quoter.tick() for r in replicas]  # all due at the same moment
    assert in_channel(stub) == []
    assert [o.status if o else None for o in during].count(OutcomeStatus.FAILED) == 1
    stub.clear_faults()  # Slack answers again
    clock.advance(seconds=61)
    after = [r.quoter.tick() for r in replicas]
    assert len(in_channel(stub)) == 1
    assert [o.status if o else None for o in after].count(OutcomeStatus.POSTED) == 1
    clock.advance(minutes=30)
    assert all(r.quoter.tick() is None for r in replicas)
    assert len(in_channel(stub)) == 1
    assert row_state(replicas[0]) == LedgerState.POSTED
    checked(stub)


def test_a_lost_reply_is_not_reposted_while_the_history_cannot_be_read(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    replicas = [make_world(stub, db_url, clock) for _ in range(3)]
    stub.fail("chat.postMessage", drop_after=True)  # Slack took it; the reply was lost
    stub.fail("conversations.history", status=503, times=4)
    replicas[0].quoter.tick()
    assert len(in_channel(stub)) == 1
    for _ in range(3):
        clock.advance(seconds=61)
        for r in replicas:
            r.quoter.tick()
    assert len(in_channel(stub)) == 1
    assert row_state(replicas[0]) == LedgerState.POSTED
    checked(stub)
