"""Every question the coach answered or abstained on, so a curator can see what it missed.

Today's other tables cannot tell this: the event dedupe rows hold the raw text and whether a
reply went out, not whether the reply cited anything, and they are forgotten after two weeks.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.store.tables import AskOutcome, Write, asked_questions, insert_new

log = logging.getLogger(__name__)


class AskedQuestions:
    """Writes one row per question message; a repeat of the same message is ignored."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def row(
        self,
        *,
        channel: str,
        ts: str,
        question: str,
        outcome: AskOutcome,
        user_id: str | None = None,
        passage_ids: Sequence[str] = (),
        answer_ts: str | None = None,
        at: datetime | None = None,
        declined_topic: str | None = None,
    ) -> Write:
        """The INSERT of one question's row; it does nothing for a message recorded before,
        so it can ride in the answer's own transaction (AnswerQueue.answered)."""
        values = {
            "channel": channel,
            "ts": ts,
            "answer_ts": answer_ts,
            "user_id": user_id,
            "question": question[:4000],
            "outcome": outcome,
            "passage_ids": ",".join(passage_ids)[:4000],
            "asked_at": at or datetime.now(UTC),
            "declined_topic": declined_topic[:200] if declined_topic else None,
        }
        return insert_new(self.engine.dialect.name, asked_questions), values

    def record(self, statement: Write) -> bool:
        """Store one `row` on its own; True if stored. Never raises: the leader already has
        the answer, and a lost row only makes the curator's report a little short."""
        try:
            with self.engine.begin() as conn:
                return conn.execute(*statement).rowcount == 1  # 0: this message was recorded
        except SQLAlchemyError as err:
            values = statement[1] if isinstance(statement[1], dict) else {}
            where = (values.get("ts"), values.get("channel"))
            log.warning("could not record the question %s in %s: %s", *where, err)
            return False
