""" "Coach me on this" requests in the durable answer queue (bot/store/answer_queue.py).

A message shortcut is no event: it has no event id and its message is not the question's
own (anyone may use the shortcut on any message, more than once). So it is keyed by its
trigger_id, which Slack sends again only with the same request, and carries the message it
was used on (channel, ts, thread, text) in the queue's own columns. The coaching composed
for it is kept in `reply` by its first holder, as a tip's is, so a retry shows the same one.
No response_url is stored: the coaching goes by chat.postEphemeral (or a DM).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert

from bot.store.tables import answer_queue, insert_once, queued_row

_INSERT = insert(answer_queue)


def enqueue_coach_me(
    engine: Engine,
    key: str,
    *,
    kind: str,
    channel: str,
    ts: str,
    thread_ts: str,
    user_id: str,
    text: str,
    now: datetime | None = None,
) -> bool:
    """Store a shortcut request before its ack; False if this request (`key`) was stored
    before. Database errors propagate: the caller then coaches from memory."""
    stamp = now or datetime.now(UTC)
    row = queued_row(key, kind, channel, ts, user_id, text, stamp, thread_ts=thread_ts)
    return insert_once(engine, (_INSERT, row))
