"""The answer queue's claim statement, built once (see bot/store/answer_queue.py)."""

from __future__ import annotations

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    Update,
    and_,
    bindparam,
    exists,
    or_,
    select,
    update,
)

from bot.store.tables import AnswerState, answer_queue, slack_hold


def claim_statement(*, probe: bool = False) -> Update:
    """The claim: rows due, or whose lease ran out, taken in one statement, so SQLite takes
    its write lock at once (no read-then-upgrade race) and PostgreSQL skips rows another
    replica is claiming this instant. The due rows are a CTE: PostgreSQL runs a locking CTE
    once, where an `IN (subquery)` may be run again per row and hand out more than `limit`
    rows. Built once: the dispatcher claims about once per three questions in a burst.
    Nothing is claimed while Slack is on hold (bot/store/slack_hold.py), but a `probe`."""
    now = bindparam("claim_now", type_=DateTime)
    claimable = or_(
        and_(answer_queue.c.state == AnswerState.QUEUED, answer_queue.c.next_attempt_at <= now),
        and_(answer_queue.c.state == AnswerState.WORKING, answer_queue.c.lease_until <= now),
    )
    if not probe:
        claimable = and_(claimable, ~exists(select(slack_hold.c.name)))
    due = (
        select(answer_queue.c.id)
        .where(claimable)
        .order_by(answer_queue.c.id)
        .limit(bindparam("claim_limit", type_=Integer))
        .with_for_update(skip_locked=True)
        .cte("due")
    )
    return (
        update(answer_queue)
        .where(answer_queue.c.id.in_(select(due.c.id)), claimable)
        .values(
            state=AnswerState.WORKING,
            owner=bindparam("claim_owner", type_=String),
            lease_until=bindparam("claim_until", type_=DateTime),
            attempts=answer_queue.c.attempts + 1,
        )
        .returning(*answer_queue.c)
    )


CLAIM = claim_statement()
CLAIM_PROBE = claim_statement(probe=True)
