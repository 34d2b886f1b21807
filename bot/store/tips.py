"""The tips each person was shown, so /leadership-tip does not repeat itself (across restarts)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select

from bot.store.tables import tip_history


class TipHistory:
    """Which passages each person saw as a tip, newest last."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def recent(self, user_id: str, limit: int = 5) -> list[str]:
        """Passage ids of the tips this person saw last, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tip_history.c.passage_id)
                .where(tip_history.c.user_id == user_id)
                .order_by(tip_history.c.id.desc())
                .limit(limit)
            ).all()
        return [r[0] for r in rows]

    def record(self, user_id: str, passage_id: str, topic: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(tip_history).values(
                    user_id=user_id, passage_id=passage_id, topic=topic, shown_at=datetime.now(UTC)
                )
            )


class TipMemory:
    """The same, kept in this process only: the console has no database to open for it."""

    def __init__(self) -> None:
        self._shown: dict[str, list[str]] = {}

    def recent(self, user_id: str, limit: int = 5) -> list[str]:
        return self._shown.get(user_id, [])[::-1][:limit]

    def record(self, user_id: str, passage_id: str, topic: str | None = None) -> None:
        self._shown.setdefault(user_id, []).append(passage_id)
