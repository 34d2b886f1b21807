"""The sign of life on a mention or DM whose answer is slow or stuck: :eyes: through the real
HTTP server (no timing: the search is held until Slack has seen the reaction), and the
reaction and "still working" reply shared by replicas through the database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlalchemy.exc import OperationalError

from bot.slack.sign_of_life import STILL_WORKING, SignsOfLife
from bot.store.answer_queue import AnswerQueue, question_key
from bot.store.engine import make_engine
from bot.store.said_once import SaidOnce
from bot.store.tables import AnswerState
from tests.slack.surface_payloads import panel_root
from tests.slack_fixtures import SlackApp
from tests.slack_payloads import dm, event_envelope, mention, new_ts
from tests.slack_workspace import BOT_USER

QUESTION = "how do I motivate my reps?"


def hold_search(slack_app: SlackApp) -> threading.Event:
    """The next searches wait for the returned event (set it to let them go)."""
    gate = threading.Event()
    original = slack_app.coach.search

    def held(*args: Any, **kwargs: Any) -> Any:
        gate.wait(30)
        return original(*args, **kwargs)

    slack_app.coach.search = held  # type: ignore[method-assign]
    return gate


def eyes_while_held(slack_app: SlackApp, event: dict) -> Any:
    """Send `event` with its answer held back; the :eyes: call made meanwhile, once the
    answer has been let through and the eyes taken off again."""
    slack_app.slack.sign_of_life_after = 0.0
    gate = hold_search(slack_app)
    assert slack_app.send_event(event_envelope(event)) == 200
    [added] = slack_app.stub.wait_for("reactions.add")  # while the answer is still held
    gate.set()
    slack_app.stub.wait_for("reactions.remove")
    slack_app.settle()
    return added


def test_slow_answer_gets_eyes_then_loses_them(slack_app: SlackApp) -> None:
    event = mention(f"<@{BOT_USER}> {QUESTION}")
    added = eyes_while_held(slack_app, event)
    assert added.params == {"channel": "CSALES", "timestamp": event["ts"], "name": "eyes"}
    order = [c.method for c in slack_app.stub.calls if c.method != "auth.test"]
    assert order == ["reactions.add", "chat.postMessage", "reactions.remove"]


def test_slow_dm_gets_eyes_too(slack_app: SlackApp) -> None:
    event = dm(QUESTION)
    assert eyes_while_held(slack_app, event).params["channel"] == event["channel"]


def test_a_slow_reply_in_a_plain_dm_thread_gets_eyes_like_any_dm(slack_app: SlackApp) -> None:
    """A reply in a DM thread the leader started (not the panel's) waited with no sign of
    life: it was taken for a panel message, which shows a status instead."""
    root = slack_app.stub.seed_message("DASKER", new_ts(), "earlier question", user="UASKER")
    event = dm(QUESTION, thread_ts=root["ts"], parent_user_id="UASKER")
    added = eyes_while_held(slack_app, event)
    assert added.params == {"channel": "DASKER", "timestamp": event["ts"], "name": "eyes"}
    [answer] = slack_app.stub.calls_to("chat.postMessage")
    assert answer.params["thread_ts"] == root["ts"]  # answered in that thread
    assert slack_app.stub.calls_to("assistant.threads.setStatus") == []


def test_a_message_in_the_assistant_panel_is_answered_once_with_no_eyes(
    slack_app: SlackApp,
) -> None:
    slack_app.slack.sign_of_life_after = 0.0
    thread = panel_root(slack_app.stub, "DASKER")  # a thread Slack made for the panel
    event = dm(QUESTION, thread_ts=thread)
    assert slack_app.send_event(event_envelope(event)) == 200
    slack_app.settle()
    [row] = slack_app.slack.answers.rows()
    assert row["kind"] == "assistant" and row["state"] == AnswerState.ANSWERED
    assert len(slack_app.stub.calls_to("chat.postMessage")) == 1
    assert slack_app.stub.calls_to("assistant.threads.setStatus")
    assert slack_app.stub.calls_to("reactions.add") == []


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def reactions_add(self, **_: Any) -> None:
        self.calls.append("add")

    def reactions_remove(self, **_: Any) -> None:
        self.calls.append("remove")

    def chat_postMessage(self, **params: Any) -> dict[str, Any]:  # noqa: N802 - slack_sdk's name
        self.calls.append(params["text"])
        return {"ok": True, "ts": "2.000001"}


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[tuple[AnswerQueue, SaidOnce]]:
    """One stored question, claimed, as a worker holds it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'coach.db'}")
    answers = AnswerQueue(engine, "me")
    answers.enqueue(kind="mention", channel="C1", ts="1.000001", user_id="U1", text="q")
    yield answers, SaidOnce(engine)
    engine.dispose()


KEY = question_key("C1", "1.000001")
WATCHED = (KEY, "C1", "1.000001", None)


def show_due(signs: SignsOfLife) -> None:
    """What the check thread does once the :eyes: are due (run here, without waiting)."""
    for watched in signs.check([WATCHED]):
        signs.show(*watched[:3])


def test_quick_answer_costs_no_reaction_calls(queue: tuple[AnswerQueue, SaidOnce]) -> None:
    answers, said = queue
    client = Recorder()
    signs = SignsOfLife(client, answers, said, after=3600)
    signs.watch(KEY, "C1", "1.000001")
    [job] = answers.claim(1, timedelta(seconds=30))
    answers.answered(job, "2.000001")
    signs.answered(KEY, "C1", "1.000001")
    assert signs.check([WATCHED]) == []  # even if the check had run after the answer
    assert client.calls == []


def test_answer_recorded_while_the_reaction_is_being_added_still_removes_it(
    queue: tuple[AnswerQueue, SaidOnce],
) -> None:
    answers, said = queue
    release = threading.Event()
    entered = threading.Event()

    class SlowAdd(Recorder):
        def reactions_add(self, **_: Any) -> None:
            entered.set()
            release.wait(10)
            self.calls.append("add")

    client = SlowAdd()
    signs = SignsOfLife(client, answers, said, after=3600)
    timer = threading.Thread(target=show_due, args=(signs,))
    timer.start()
    assert entered.wait(10)
    [job] = answers.claim(1, timedelta(seconds=30))
    answers.answered(job, "2.000001")  # the answer lands while reactions.add is in flight
    signs.answered(KEY, "C1", "1.000001")
    release.set()
    timer.join(10)
    assert client.calls.count("add") == 1
    assert client.calls[-1] == "remove"


def test_still_working_is_said_once_per_question_across_replicas(
    queue: tuple[AnswerQueue, SaidOnce],
) -> None:
    answers, said = queue
    client = Recorder()
    one = SignsOfLife(client, answers, said)
    other = SignsOfLife(client, AnswerQueue(answers.engine, "other"), said)
    one.still_working(KEY, "C1", "1.000001", "1.000001")
    other.still_working(KEY, "C1", "1.000001", "1.000001")  # the next retry, elsewhere
    assert client.calls == ["add", STILL_WORKING]


def test_still_working_that_did_not_get_through_is_tried_again(
    queue: tuple[AnswerQueue, SaidOnce],
) -> None:
    answers, said = queue

    class Down(Recorder):
        def __init__(self) -> None:
            super().__init__()
            self.down = True

        def chat_postMessage(self, **params: Any) -> dict[str, Any]:  # noqa: N802
            if self.down:
                raise SlackApiError(
                    "down",
                    SlackResponse(
                        client=None,
                        http_verb="POST",
                        api_url="",
                        req_args={},
                        data={"ok": False},
                        headers={},
                        status_code=503,
                    ),
                )
            return super().chat_postMessage(**params)

    client = Down()
    signs = SignsOfLife(client, answers, said)
    signs.still_working(KEY, "C1", "1.000001", "1.000001")
    client.down = False
    signs.still_working(KEY, "C1", "1.000001", "1.000001")
    assert client.calls == ["add", STILL_WORKING]


def test_an_answer_being_posted_when_its_eyes_are_due_gets_none(
    queue: tuple[AnswerQueue, SaidOnce],
) -> None:
    answers, said = queue
    client = Recorder()
    signs = SignsOfLife(client, answers, said, after=3600)
    signs.watch(KEY, "C1", "1.000001")
    [job] = answers.claim(1, timedelta(seconds=30))
    with signs.posting(KEY):  # the answer is written and on its way to Slack
        assert signs.check([WATCHED]) == []  # the :eyes: were due just now: not for this one
        answers.answered(job, "2.000001")
    signs.answered(KEY, "C1", "1.000001", first_try=True, asked_at=job.created_at)
    assert signs.check([WATCHED]) == []  # the check coming round again finds it answered
    assert client.calls == []


def test_a_post_that_fails_after_the_eyes_were_due_gets_them(
    queue: tuple[AnswerQueue, SaidOnce],
) -> None:
    answers, said = queue
    client = Recorder()
    signs = SignsOfLife(client, answers, said, after=3600)
    answers.claim(1, timedelta(seconds=30))
    with signs.posting(KEY):
        assert signs.check([WATCHED]) == []
    # the post failed (the question waits in the queue): the next check shows the :eyes:
    show_due(signs)
    assert client.calls == ["add"]


def test_eyes_put_on_by_the_replica_that_stored_the_question_come_off_wherever_answered(
    queue: tuple[AnswerQueue, SaidOnce],
) -> None:
    answers, said = queue
    client = Recorder()
    stored_here = SignsOfLife(client, answers, said, after=0.0)
    answered_there = SignsOfLife(client, AnswerQueue(answers.engine, "other"), said, after=0.0)
    show_due(stored_here)  # the answer is late: :eyes: on
    [job] = answered_there.answers.claim(1, timedelta(seconds=30))
    answered_there.answers.answered(job, "2.000001")
    answered_there.answered(KEY, "C1", "1.000001", first_try=True, asked_at=job.created_at)
    assert client.calls == ["add", "remove"]


def test_eyes_put_on_here_come_off_even_when_the_database_cannot_be_asked(
    queue: tuple[AnswerQueue, SaidOnce], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers, said = queue
    client = Recorder()
    signs = SignsOfLife(client, answers, said, after=0.0)
    show_due(signs)  # the answer is late: :eyes: on, put there by this replica
    [job] = answers.claim(1, timedelta(seconds=30))
    answers.answered(job, "2.000001")

    def unavailable(*_: Any) -> bool:
        raise OperationalError("SELECT", {}, Exception("the database went away"))

    monkeypatch.setattr(said, "said", unavailable)  # a blip right after the answer's record
    signs.answered(KEY, "C1", "1.000001", first_try=True, asked_at=job.created_at)
    assert client.calls == ["add", "remove"]  # not left on an answered question
