"""The store's repositories on a fresh SQLite file: what each remembers, and what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.store.engine import make_engine
from bot.store.events import EventStore
from bot.store.feedback import FeedbackStore
from bot.store.tables import EventStatus, handled_events
from bot.store.tips import TipHistory, TipMemory


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{(tmp_path / 'coach.db').as_posix()}")


def test_a_question_is_claimed_once_even_by_a_second_process(engine: Engine) -> None:
    first, second = EventStore(engine), EventStore(engine)  # two replicas, one database
    assert first.claim(kind="mention", channel="C1", ts="1.0", event_id="Ev1", text="hi")
    assert not first.claim(kind="mention", channel="C1", ts="1.0", event_id="Ev1", text="hi")
    assert not second.claim(kind="mention", channel="C1", ts="1.0", event_id="Ev2", text="hi")
    assert not second.claim(kind="dm", channel="C9", ts="9.0", event_id="Ev1", text="hi")
    with engine.connect() as conn:
        rows = conn.execute(select(handled_events.c.key, handled_events.c.status)).all()
    statuses = {key: status for key, status in rows}
    assert statuses == {"msg:C1:1.0": EventStatus.PENDING, "event:Ev1": EventStatus.ALIAS}


def test_marking_done_remembers_the_thread_and_its_first_question(engine: Engine) -> None:
    events = EventStore(engine)
    events.claim(kind="mention", channel="C1", ts="1.0", text="how do I coach?")
    events.mark_done("C1", "1.0", thread=("1.0", "how do I coach?"))
    events.claim(kind="mention", channel="C1", ts="2.0", thread_ts="1.0", text="and then?")
    events.mark_done("C1", "2.0", thread=("1.0", "and then?"))
    assert events.first_question("C1", "1.0") == "how do I coach?"
    assert events.pending() == []


def test_a_second_vote_changes_the_first(engine: Engine) -> None:
    votes = FeedbackStore(engine)
    votes.record(user_id="U1", channel="C1", message_ts="5.0", helpful=True, passage_ids=["a"])
    votes.record(user_id="U1", channel="C1", message_ts="5.0", helpful=False, passage_ids=["a"])
    votes.record(user_id="U2", channel="C1", message_ts="5.0", helpful=True)
    rows = sorted(votes.rows(), key=lambda r: str(r["user_id"]))
    assert [(r["user_id"], r["helpful"]) for r in rows] == [("U1", False), ("U2", True)]


@pytest.mark.parametrize("kind", ["database", "memory"])
def test_recent_tips_are_newest_first_per_person(engine: Engine, kind: str) -> None:
    tips = TipHistory(engine) if kind == "database" else TipMemory()
    for passage in ("p1", "p2", "p3"):
        tips.record("U1", passage, None)
    tips.record("U2", "p9", "coaching")
    assert tips.recent("U1", 2) == ["p3", "p2"]
    assert tips.recent("U2") == ["p9"]
    assert tips.recent("U3") == []
