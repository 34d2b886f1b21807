"""Requests whose delivery replaces what a person sees, in the durable answer queue
(bot/store/answer_queue.py): the Home tab (views.publish replaces the tab) and the
"feedback received" note under an answer (chat.update replaces the message). Doing one
again shows nothing twice, so a row only needs to be delivered at least once after its
request, through Slack outages and dead replicas; no look in Slack before a retry.

A row is keyed by its request (an event id, a click's trigger_id), which Slack sends again
only with the same request, so a retry (to any replica) stores nothing. It needs the
queue's own columns (whose, where) and, for a note, the message to replace it with in
`reply` (JSON), made once when the request is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert

from bot.store.tables import answer_queue, insert_once, queued_row

_INSERT = insert(answer_queue)


def enqueue_replacement(
    engine: Engine,
    key: str,
    *,
    kind: str,
    channel: str,
    ts: str,
    user_id: str,
    thread_ts: str | None = None,
    reply: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Store the request before its ack; False if this request (`key`) was stored before.
    Database errors propagate: the caller then delivers from memory."""
    stamp = now or datetime.now(UTC)
    row = queued_row(key, kind, channel, ts, user_id, "", stamp, thread_ts=thread_ts, reply=reply)
    return insert_once(engine, (_INSERT, row))
