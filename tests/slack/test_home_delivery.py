"""No Home tab lost to a Slack outage or a dead replica: the app_home_opened event is in the
answer queue before its ack, and any replica's answer workers publish the tab (views.publish
replaces it, so a publish that may have reached Slack is simply done again). Faults are
injected in the recording Slack stand-in; events are signed, as Slack sends them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.slack.home import HOME_KIND
from bot.store.tables import AnswerState
from tests.slack.held_deliveries import held_by_dead, killed, taken_over
from tests.slack_fixtures import SlackApp, on_both_databases
from tests.slack_payloads import event_envelope, new_ts
from tests.slack_stub import Call, missing_required

USER = "UVISITOR"


def home_opened(replica: SlackApp) -> dict[str, Any]:
    """The leader opens the bot's Home tab: acked at once whatever Slack's Web API does."""
    event = {"type": "app_home_opened", "user": USER, "channel": "DVISITOR", "tab": "home"}
    envelope = event_envelope({**event, "event_ts": new_ts()})
    assert replica.send_event(envelope) == 200
    return envelope


def published(calls: list[Call]) -> list[Call]:
    """The Home tabs Slack took for USER, each checked as Slack would."""
    shown = [
        c for c in calls if c.method == "views.publish" and c.status == 200 and c.response.get("ok")
    ]
    for call in shown:
        assert call.params["user_id"] == USER and missing_required(call) == []
        View(**call.params["view"]).to_dict()  # Block Kit Slack accepts
        assert "/leadership-tip" in json.dumps(call.params["view"])
    return shown


def home_rows(replica: SlackApp) -> list[dict[str, Any]]:
    return [r for r in replica.slack.answers.rows() if r["kind"] == HOME_KIND]


def test_the_home_tab_opened_during_a_slack_outage_is_published_after_it(
    slack_app: SlackApp,
) -> None:
    """Before, the tab was published from memory: after slack_sdk's few retries into the
    503s it was given up (Slack does not send an acked event again), and the leader saw an
    empty Home tab. Now it waits with the answers and is published once Slack answers."""
    slack_app.stub.outage(6)  # every Web API call: HTTP 503
    home_opened(slack_app)
    slack_app.stub.wait_for("views.publish", timeout=60)
    slack_app.settle()
    assert [c for c in slack_app.stub.calls if c.status == 503], "no outage seen"
    assert len(published(slack_app.stub.calls)) == 1
    assert [r["state"] for r in home_rows(slack_app)] == [AnswerState.ANSWERED]


@on_both_databases
def test_a_home_tab_held_by_a_replica_that_died_is_published_by_another(
    slack_app: SlackApp, second_replica: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replica that acked the event died holding it (its workers stopped, its claim's
    lease left to run out): another replica publishes the tab. Before, the publish lived in
    the dead replica's memory only."""
    first = slack_app
    killed(first, monkeypatch)
    envelope = home_opened(first)
    assert first.send_event(envelope, retry_num=1) == 200  # Slack's retry: stored once
    held = held_by_dead(first)
    assert held.kind == HOME_KIND and held.user_id == USER
    with taken_over(second_replica, home_rows) as other:
        assert len(published(other.stub.calls)) == 1
