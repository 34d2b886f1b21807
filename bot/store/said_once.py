"""Things the bot says at most once: the welcome in a channel, a quote's reflection question.

The row is written BEFORE the message is posted (a primary-key insert is the claim, so two
replicas cannot both win); if posting then fails the claim is released so a later chance
can try again. A crash between the two leaves the claim: at most once, never twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, bindparam, delete, insert, select, update

from bot.store.tables import SaidKind, insert_once, said_once

# the two statements of every late answer's :eyes: (a claim, then a look), built once
_CLAIM = insert(said_once)
_SAID = select(said_once.c.key).where(
    said_once.c.kind == bindparam("said_kind"), said_once.c.key == bindparam("said_key")
)


class SaidOnce:
    """Claims keyed by (kind, key); see SaidKind for what each key is."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, kind: SaidKind, key: str) -> bool:
        """True for exactly one caller per (kind, key), ever (unless released)."""
        row = {"kind": kind, "key": key, "claimed_at": datetime.now(UTC)}
        return insert_once(self.engine, (_CLAIM, row))

    def done(self, kind: SaidKind, key: str, ts: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(said_once)
                .where(said_once.c.kind == kind, said_once.c.key == key)
                .values(message_ts=ts)
            )

    def release(self, kind: SaidKind, key: str) -> None:
        """Posting failed: let a later event try again."""
        with self.engine.begin() as conn:
            conn.execute(delete(said_once).where(said_once.c.kind == kind, said_once.c.key == key))

    def said(self, kind: SaidKind, key: str) -> bool:
        with self.engine.connect() as conn:
            return conn.scalar(_SAID, {"said_kind": kind, "said_key": key}) is not None

    def forget(
        self, kinds: tuple[SaidKind, ...], older_than: timedelta, now: datetime | None = None
    ) -> int:
        """Drop claims of `kinds` made before `older_than` ago (per-question kinds, whose
        question is long settled); returns rows removed."""
        cutoff = (now or datetime.now(UTC)) - older_than
        with self.engine.begin() as conn:
            return conn.execute(
                delete(said_once).where(
                    said_once.c.kind.in_(kinds), said_once.c.claimed_at < cutoff
                )
            ).rowcount
