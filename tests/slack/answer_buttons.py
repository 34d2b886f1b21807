"""An answer asked for and its buttons clicked, through the running app, as the button,
feedback and "More like this" tests do: the answer's call, the message a clicker sees, a
click's payload, a button found on a post."""

from __future__ import annotations

from typing import Any

from bot.slack.messages.values import ACTION_MORE
from tests.slack_checks import button
from tests.slack_fixtures import SlackApp
from tests.slack_payloads import block_action, dm, event_envelope, mention
from tests.slack_stub import Call
from tests.slack_workspace import BOT_USER

QUESTION = "how do I motivate my reps?"


def answer(slack_app: SlackApp, question: str) -> Call:
    event = mention(f"<@{BOT_USER}> {question}")
    assert slack_app.send_event(event_envelope(event)) == 200
    call = slack_app.stub.wait_for("chat.postMessage")[-1]
    slack_app.settle()
    return call


def answer_in_a_dm(slack_app: SlackApp, question: str, channel: str = "DLEADER") -> Call:
    """QUESTION asked in a DM and answered there (outside any thread); the answer."""
    assert slack_app.send_event(event_envelope(dm(question, channel=channel))) == 200
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


def click_more(slack_app: SlackApp, reply: Call, **where: str) -> dict[str, Any]:
    """Click "More like this" on an answer (Slack gets its 200); the payload sent."""
    payload = block_action(
        ACTION_MORE,
        button(reply, ACTION_MORE)["value"],
        **where,
        message=answered_message(reply),
        response_url=slack_app.stub.response_url("more"),
    )
    assert slack_app.send_action(payload) == 200
    return payload


def ask(app: SlackApp, question: str, user: str = "UASKER") -> Call:
    before = len(app.stub.calls_to("chat.postMessage"))
    assert app.send_event(event_envelope(mention(f"<@{BOT_USER}> {question}", user=user))) == 200
    call = app.stub.wait_for("chat.postMessage", before + 1)[-1]
    app.settle()
    return call


def button_value(call: Call, action_id: str) -> str:
    for block in call.blocks:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


def click(app: SlackApp, reply: Call, action_id: str, user: str = "UCLICKER") -> dict[str, Any]:
    message = {
        "type": "message",
        "ts": reply.response["ts"],
        "thread_ts": reply.params.get("thread_ts"),
        "text": reply.text,
        "blocks": reply.blocks,
        "user": BOT_USER,
    }
    payload = block_action(
        action_id,
        button_value(reply, action_id),
        user=user,
        message=message,
        response_url=app.stub.response_url("fb"),
    )
    assert app.send_action(payload) == 200
    return payload


def share_button(call: Call) -> dict[str, Any] | None:
    for block in call.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == "coach_me_share":
                return element
    return None
