"""/leadership-tip and every button, end to end through the app's HTTP server."""

from __future__ import annotations

import json
from typing import Any

from bot.slack.messages.values import (
    ACTION_ANOTHER_TIP,
    ACTION_HELPFUL,
    ACTION_MORE,
    ACTION_NOT_HELPFUL,
    ACTION_SHARE_TIP,
)
from tests.slack_fixtures import (
    BOT_USER,
    SlackApp,
    assert_valid_message,
    block_action,
    event_envelope,
    mention,
    payload_shapes,
    slack_command_form,
)
from tests.slack_stub import Call


def button(call: Call, action_id: str) -> dict[str, Any]:
    for block in call.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {call.blocks}")


def tip_passage(call: Call) -> str:
    return json.loads(button(call, ACTION_SHARE_TIP)["value"])["p"]


def run_tip(slack_app: SlackApp, text: str, user: str = "UASKER") -> Call:
    before = len(slack_app.stub.calls_to("response_url"))
    form = slack_command_form(text, slack_app.stub.response_url("tip"), user=user)
    status, body = slack_app.send_command(form)
    assert status == 200
    assert body == ""  # acked at once; the tip follows on the response_url
    calls = slack_app.stub.wait_for("response_url", before + 1)
    slack_app.settle()
    call = calls[-1]
    assert_valid_message(call)
    return call


def test_command_form_has_slacks_fields() -> None:
    shapes = payload_shapes()
    if shapes:
        form = slack_command_form("x", "http://r")
        assert set(form) == set(shapes["slash_command"])
        payload = block_action("a", "v", response_url="http://r")
        assert set(payload) == set(shapes["block_actions"])


def test_tip_on_a_topic_is_private_cited_and_on_topic(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    call = run_tip(slack_app, "coaching")
    assert call.params["response_type"] == "ephemeral"
    expected = shipped_library.search("coaching", 8).hits[0].passage
    assert tip_passage(call) == expected.id
    assert expected.article.title in json.dumps(call.blocks)
    button(call, ACTION_ANOTHER_TIP)
    assert slack_app.stub.calls_to("chat.postMessage") == []  # nothing public


class FirstChoice:
    """A 'random' pick that always takes the first candidate: repeats would show at once."""

    def choice(self, seq: Any) -> Any:
        return seq[0]


def test_tip_without_topic_never_repeats_back_to_back(slack_app: SlackApp) -> None:
    slack_app.coach._rng = FirstChoice()
    shown = [tip_passage(run_tip(slack_app, "")) for _ in range(6)]
    assert all(a != b for a, b in zip(shown, shown[1:], strict=False))
    # remembered in the database, so a restart does not repeat either
    assert slack_app.coach.tips.recent("UASKER", 1) == [shown[-1]]


def test_tip_on_unknown_topic_says_so(slack_app: SlackApp) -> None:
    call = run_tip(slack_app, "banana bread recipes")
    assert "don't have a tip" in call.text
    assert "tip_share" not in json.dumps(call.blocks)


def test_tip_help_explains_usage_in_the_ack(slack_app: SlackApp) -> None:
    form = slack_command_form("help", slack_app.stub.response_url("help"))
    status, body = slack_app.send_command(form)
    assert status == 200
    reply = json.loads(body)
    assert reply["response_type"] == "ephemeral"
    assert "/leadership-tip <topic>" in json.dumps(reply)
    slack_app.settle()
    assert slack_app.stub.calls_to("chat.postMessage") == []


def test_share_in_channel_posts_publicly_with_attribution(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    tip = run_tip(slack_app, "coaching")
    value = button(tip, ACTION_SHARE_TIP)["value"]
    payload = block_action(
        ACTION_SHARE_TIP,
        value,
        user="USHARER",
        response_url=slack_app.stub.response_url("share"),
        ephemeral=True,
    )
    assert slack_app.send_action(payload) == 200
    posted = slack_app.stub.wait_for("chat.postMessage")[0]
    slack_app.settle()
    assert_valid_message(posted)
    assert posted.params["channel"] == "CSALES"
    assert "Shared by <@USHARER>" in json.dumps(posted.blocks)
    passage = next(p for p in shipped_library.passages if p.id == tip_passage(tip))
    assert passage.article.title in json.dumps(posted.blocks)
    confirm = slack_app.stub.calls_to("response_url")[-1]
    assert confirm.params.get("replace_original") is True
    assert "Shared" in confirm.text


def test_share_where_the_bot_is_not_invited_explains(slack_app: SlackApp) -> None:
    tip = run_tip(slack_app, "coaching")
    slack_app.stub.fail("chat.postMessage", error="not_in_channel")
    payload = block_action(
        ACTION_SHARE_TIP,
        button(tip, ACTION_SHARE_TIP)["value"],
        response_url=slack_app.stub.response_url("share"),
        ephemeral=True,
    )
    assert slack_app.send_action(payload) == 200
    calls = slack_app.stub.wait_for("response_url", 2)
    slack_app.settle()
    assert "/invite" in calls[-1].text
    assert calls[-1].params["response_type"] == "ephemeral"


def test_another_tip_replaces_the_tip_with_a_different_one(slack_app: SlackApp) -> None:
    tip = run_tip(slack_app, "")
    payload = block_action(
        ACTION_ANOTHER_TIP,
        button(tip, ACTION_ANOTHER_TIP)["value"],
        user="UASKER",
        response_url=slack_app.stub.response_url("another"),
        ephemeral=True,
    )
    assert slack_app.send_action(payload) == 200
    calls = slack_app.stub.wait_for("response_url", 2)
    slack_app.settle()
    again = calls[-1]
    assert_valid_message(again)
    assert again.params["replace_original"] is True
    assert tip_passage(again) != tip_passage(tip)


def answer(slack_app: SlackApp, question: str) -> Call:
    event = mention(f"<@{BOT_USER}> {question}")
    assert slack_app.send_event(event_envelope(event)) == 200
    call = slack_app.stub.wait_for("chat.postMessage")[-1]
    slack_app.settle()
    return call


def answered_message(call: Call) -> dict[str, Any]:
    """The message as Slack shows it to a clicker (in the thread it was posted in)."""
    return {
        "type": "message",
        "ts": call.response["ts"],
        "thread_ts": call.params.get("thread_ts"),
        "text": call.text,
        "blocks": call.blocks,
        "user": BOT_USER,
    }


def test_feedback_is_recorded_and_shown_on_the_answer(slack_app: SlackApp) -> None:
    reply = answer(slack_app, "how do I motivate my reps?")
    slack_app.stub.calls.clear()
    helpful = button(reply, ACTION_HELPFUL)["value"]
    message = answered_message(reply)
    url = slack_app.stub.response_url("fb")
    assert (
        slack_app.send_action(
            block_action(ACTION_HELPFUL, helpful, message=message, response_url=url)
        )
        == 200
    )
    update = slack_app.stub.wait_for("chat.update")[0]
    slack_app.settle()
    assert_valid_message(update)
    assert (update.params["channel"], update.params["ts"]) == ("CSALES", reply.response["ts"])
    assert "feedback received: helpful" in json.dumps(update.blocks)
    assert button(update, ACTION_HELPFUL)  # the buttons stay for everyone else
    assert slack_app.stub.calls_to("chat.postMessage") == []  # nothing re-posted
    assert slack_app.stub.calls_to("views.open") == []  # "Helpful" needs no form
    rows = slack_app.slack.feedback.rows()
    assert len(rows) == 1 and rows[0]["helpful"] is True
    assert rows[0]["message_ts"] == reply.response["ts"]
    assert rows[0]["passage_ids"].split(",") == json.loads(helpful)["p"]

    # changing one's mind updates the vote instead of adding one
    payload = block_action(ACTION_NOT_HELPFUL, helpful, message=message, response_url=url)
    assert slack_app.send_action(payload) == 200
    slack_app.stub.wait_for("chat.update", 2)
    slack_app.settle()
    rows = slack_app.slack.feedback.rows()
    assert len(rows) == 1 and rows[0]["helpful"] is False


def test_more_like_this_posts_the_next_passages_in_the_thread(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    question = "how do I motivate my reps?"
    reply = answer(slack_app, question)
    slack_app.stub.calls.clear()
    more = button(reply, ACTION_MORE)["value"]
    payload = block_action(
        ACTION_MORE,
        more,
        message=answered_message(reply),
        response_url=slack_app.stub.response_url("more"),
    )
    assert slack_app.send_action(payload) == 200
    posted = slack_app.stub.wait_for("chat.postMessage")[0]
    slack_app.settle()
    assert_valid_message(posted)
    assert posted.params["thread_ts"] == reply.params["thread_ts"]
    following = shipped_library.search(question, 3, offset=3)
    shown = json.loads(button(posted, ACTION_HELPFUL)["value"])["p"]
    assert shown == [h.passage.id for h in following.hits]
    first = json.loads(button(reply, ACTION_HELPFUL)["value"])["p"]
    assert not set(shown) & set(first)

    # a second click on the same button (an impatient user) does not post the page again
    assert slack_app.send_action(payload) == 200
    slack_app.settle()
    assert len(slack_app.stub.calls_to("chat.postMessage")) == 1


def test_buttons_with_odd_payloads_do_not_break_anything(slack_app: SlackApp) -> None:
    url = slack_app.stub.response_url("odd")
    for action in (ACTION_MORE, ACTION_SHARE_TIP, ACTION_HELPFUL):
        payload = block_action(action, "not json at all", response_url=url)
        assert slack_app.send_action(payload) == 200
        payload = block_action(action, "{}", response_url=url)
        payload["user"] = "just a string"
        payload["channel"] = None
        assert slack_app.send_action(payload) in (200, 400)
    slack_app.settle()
    assert slack_app.stub.calls_to("chat.postMessage") == []
