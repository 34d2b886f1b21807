"""No "feedback received" note lost to a Slack outage or a dead replica: a Helpful / Not
helpful click is counted and its note stored in the answer queue before the click's ack,
and any replica's answer workers put the note under the answer (chat.update replaces the
message, so an update that may have reached Slack is simply done again). Faults are
injected in the recording Slack stand-in; clicks are signed, as Slack sends them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.slack.feedback_note import NOTE_KIND
from bot.slack.messages.gaps import FEEDBACK_NOTE_BLOCK
from bot.slack.messages.values import ACTION_HELPFUL, ACTION_NOT_HELPFUL
from bot.store.tables import AnswerState
from tests.slack.answer_buttons import QUESTION, ask, click
from tests.slack.held_deliveries import held_by_dead, killed, taken_over
from tests.slack_checks import assert_valid_message
from tests.slack_fixtures import SlackApp, on_both_databases
from tests.slack_stub import Call


def notes_shown(calls: list[Call], answer: Call) -> list[Call]:
    """The answer updated with the "feedback received" note, as Slack took it."""
    shown = [
        c for c in calls if c.method == "chat.update" and c.status == 200 and c.response.get("ok")
    ]
    for call in shown:
        assert_valid_message(call)
        assert call.params["ts"] == answer.response["ts"]
        assert FEEDBACK_NOTE_BLOCK in [b.get("block_id") for b in call.blocks]
    return shown


def note_rows(replica: SlackApp) -> list[dict[str, Any]]:
    return [r for r in replica.slack.answers.rows() if r["kind"] == NOTE_KIND]


def test_a_vote_during_a_slack_outage_shows_its_note_after_it(slack_app: SlackApp) -> None:
    """Before, the note was sent from memory: after slack_sdk's few retries into the 503s
    it was given up, and the leader saw no sign the click counted. Now it waits with the
    answers and shows once Slack answers."""
    answer = ask(slack_app, QUESTION)
    slack_app.stub.outage(6)  # every Web API call: HTTP 503
    click(slack_app, answer, ACTION_HELPFUL)
    slack_app.stub.wait_for("chat.update", timeout=60)
    slack_app.settle()
    assert [c for c in slack_app.stub.calls if c.status == 503], "no outage seen"
    assert len(notes_shown(slack_app.stub.calls, answer)) == 1
    assert slack_app.stub.calls_to("chat.postEphemeral") == []  # no thanks besides
    assert [v["helpful"] for v in slack_app.slack.feedback.rows()] == [True]
    assert [r["state"] for r in note_rows(slack_app)] == [AnswerState.ANSWERED]


def note_says(call: Call) -> str:
    """The "feedback received" note an update shows under the answer."""
    [note] = [b for b in call.blocks if b.get("block_id") == FEEDBACK_NOTE_BLOCK]
    return json.dumps(note)


@on_both_databases
def test_helpful_then_not_helpful_during_an_outage_leaves_the_not_helpful_note(
    slack_app: SlackApp,
) -> None:
    """A leader clicks Helpful, then changes it to Not helpful, while Slack is down: two
    notes wait. Slack comes back flaky and refuses the Helpful note's first update once
    (service_unavailable, tried again alone), so the Not helpful note goes out first. Before,
    the Helpful note went out after it: the answer said "helpful" under a Not helpful vote.
    Now a note shows the vote as it stands when it goes out, whatever the order."""
    answer = ask(slack_app, QUESTION)
    stub = slack_app.stub
    stub.outage(6)  # every Web API call: HTTP 503
    stub.fail(
        "chat.update",
        error="service_unavailable",
        where=lambda call: "feedback received: helpful." in json.dumps(call.blocks),
    )
    click(slack_app, answer, ACTION_HELPFUL)
    click(slack_app, answer, ACTION_NOT_HELPFUL)
    assert [v["helpful"] for v in slack_app.slack.feedback.rows()] == [False]
    stub.wait_for("chat.update", 2, timeout=60)
    slack_app.settle()
    assert [r["state"] for r in note_rows(slack_app)] == [AnswerState.ANSWERED] * 2
    shown = notes_shown(stub.calls, answer)
    assert "feedback received: not helpful." in note_says(shown[-1])
    assert [c for c in stub.calls if c.status == 503], "no outage seen"


@on_both_databases
def test_a_note_held_by_a_replica_that_died_is_shown_by_another(
    slack_app: SlackApp, second_replica: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replica that acked the click died holding its note (its workers stopped, its
    claim's lease left to run out): the vote is counted and another replica shows the
    note. Before, the note lived in the dead replica's memory only."""
    first = slack_app
    answer = ask(first, QUESTION)
    killed(first, monkeypatch)
    payload = click(first, answer, ACTION_HELPFUL)
    assert first.send_action(payload) == 200  # the same click delivered again: stored once
    held = held_by_dead(first)
    assert held.kind == NOTE_KIND
    assert [v["helpful"] for v in first.slack.feedback.rows()] == [True]
    with taken_over(second_replica, note_rows) as other:
        assert len(notes_shown(other.stub.calls, answer)) == 1


def test_not_helpful_while_the_database_is_down_still_opens_the_form_and_shows_the_note(
    slack_app: SlackApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database drops out as a leader clicks Not helpful. Before, counting the vote
    failed before the ack and nothing else happened: no note under the answer, no reason
    form. Now the failure is one log line; the form opens and the note is sent from memory."""
    from sqlalchemy.exc import OperationalError

    answer = ask(slack_app, QUESTION)

    def database_down(*_: Any, **__: Any) -> bool:
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(slack_app.slack.feedback, "record", database_down)
    monkeypatch.setattr("bot.slack.feedback_note.enqueue_replacement", database_down)
    click(slack_app, answer, ACTION_NOT_HELPFUL)
    [opened] = slack_app.stub.wait_for("views.open")
    assert opened.status == 200
    slack_app.stub.wait_for("chat.update")
    slack_app.settle()
    assert len(notes_shown(slack_app.stub.calls, answer)) == 1
