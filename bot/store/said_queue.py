"""Things the bot says once, unasked, carried by the durable answer queue: the assistant
panel's greeting when a thread opens, the welcome when the bot joins a channel.

The `said_once` claim and the queue row are written in one transaction before the event's
ack, so the event delivered again (to any replica) stores nothing, and what the claim marks
(an assistant thread, a channel welcomed) is known from that moment on. The row needs none
but the queue's own columns: where to post (channel, thread) and for whom (user).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, bindparam, insert, update

from bot.store.tables import (
    SaidKind,
    Write,
    answer_queue,
    insert_once,
    queued_row,
    said_once,
)

_CLAIM = insert(said_once)
_QUEUE = insert(answer_queue)
_SAID_TS = (
    update(said_once)
    .where(said_once.c.kind == bindparam("said_kind"), said_once.c.key == bindparam("said_key"))
    .values(message_ts=bindparam("said_ts"))
)


def enqueue_said_once(
    engine: Engine,
    key: str,
    *,
    kind: str,
    said: SaidKind,
    said_key: str,
    channel: str,
    ts: str,
    thread_ts: str | None,
    user_id: str | None,
    now: datetime | None = None,
) -> bool:
    """Claim (`said`, `said_key`) and queue the message (`key`, `kind`) together; False,
    with nothing written, when either was there before. Database errors propagate."""
    stamp = now or datetime.now(UTC)
    claim = {"kind": said, "key": said_key, "claimed_at": stamp}
    row = queued_row(key, kind, channel, ts, user_id, "", stamp, thread_ts=thread_ts)
    return insert_once(engine, (_CLAIM, claim), (_QUEUE, row))


def said_at(said: SaidKind, said_key: str, ts: str | None) -> Write:
    """The claim's message ts, written with the row's settling (AnswerQueue.answered)."""
    return (_SAID_TS, {"said_kind": said, "said_key": said_key, "said_ts": ts})
