"""The :eyes: sign of life on a mention or DM whose answer is slow, through the real HTTP
server; no timing: the search is held until Slack has seen the reaction."""

from __future__ import annotations

import threading
from typing import Any

from bot.slack.sign_of_life import SignOfLife
from tests.slack_fixtures import BOT_USER, SlackApp, dm, event_envelope, mention

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


def test_slow_answer_gets_eyes_then_loses_them(slack_app: SlackApp) -> None:
    slack_app.slack.sign_of_life_after = 0.0
    gate = hold_search(slack_app)
    event = mention(f"<@{BOT_USER}> {QUESTION}")
    assert slack_app.send_event(event_envelope(event)) == 200
    [added] = slack_app.stub.wait_for("reactions.add")  # while the answer is still held
    gate.set()
    slack_app.stub.wait_for("reactions.remove")
    slack_app.settle()
    assert added.params == {"channel": "CSALES", "timestamp": event["ts"], "name": "eyes"}
    order = [c.method for c in slack_app.stub.calls if c.method != "auth.test"]
    assert order == ["reactions.add", "chat.postMessage", "reactions.remove"]


def test_slow_dm_gets_eyes_too(slack_app: SlackApp) -> None:
    slack_app.slack.sign_of_life_after = 0.0
    gate = hold_search(slack_app)
    event = dm(QUESTION)
    assert slack_app.send_event(event_envelope(event)) == 200
    [added] = slack_app.stub.wait_for("reactions.add")
    gate.set()
    slack_app.stub.wait_for("reactions.remove")
    assert added.params["channel"] == event["channel"]


def test_eyes_stay_when_the_answer_cannot_be_posted(slack_app: SlackApp) -> None:
    slack_app.stub.fail("chat.postMessage", status=500, times=20)
    event = mention(f"<@{BOT_USER}> {QUESTION}")
    assert slack_app.send_event(event_envelope(event)) == 200
    slack_app.settle()
    assert [c.params["timestamp"] for c in slack_app.stub.calls_to("reactions.add")] == [
        event["ts"]
    ]
    assert slack_app.stub.calls_to("reactions.remove") == []


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def reactions_add(self, **_: Any) -> None:
        self.calls.append("add")

    def reactions_remove(self, **_: Any) -> None:
        self.calls.append("remove")


def test_quick_answer_costs_no_reaction_calls() -> None:
    client = Recorder()
    life = SignOfLife(client, "C1", "1.000001", after=3600).start()
    life.answered()
    life._react()  # even if the timer had fired after the answer
    assert client.calls == []


def test_answer_posted_while_the_reaction_is_being_added_still_removes_it() -> None:
    release = threading.Event()
    entered = threading.Event()

    class SlowAdd(Recorder):
        def reactions_add(self, **_: Any) -> None:
            entered.set()
            release.wait(10)
            self.calls.append("add")

    client = SlowAdd()
    life = SignOfLife(client, "C1", "1.000001", after=3600)
    worker = threading.Thread(target=life._react)
    worker.start()
    assert entered.wait(10)
    life.answered()  # the answer lands while reactions.add is in flight
    release.set()
    worker.join(10)
    assert client.calls == ["add", "remove"]
