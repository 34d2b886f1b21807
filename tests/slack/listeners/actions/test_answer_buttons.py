"""Helpful / Not helpful, More like this, and odd button payloads, end to end."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.slack.messages.values import (
    ACTION_HELPFUL,
    ACTION_MORE,
    ACTION_NOT_HELPFUL,
    ACTION_SHARE_TIP,
)
from tests.slack.answer_buttons import answer, answer_in_a_dm, answered_message, click_more
from tests.slack_checks import assert_valid_message, button
from tests.slack_fixtures import SlackApp, on_both_databases
from tests.slack_payloads import block_action, dm, event_envelope
from tests.slack_stub import Call

QUESTION = "how do I motivate my reps?"


@pytest.fixture
def answered_question(slack_app: SlackApp) -> Call:
    """QUESTION asked and answered; the answer (the calls so far forgotten)."""
    reply = answer(slack_app, QUESTION)
    slack_app.stub.calls.clear()
    return reply


@on_both_databases
def test_feedback_is_recorded_and_shown_on_the_answer(slack_app: SlackApp) -> None:
    reply = answer(slack_app, QUESTION)
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
    slack_app: SlackApp, shipped_library: Any, answered_question: Call
) -> None:
    question, reply = QUESTION, answered_question
    payload = click_more(slack_app, reply)
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


def test_more_like_this_refused_for_its_blocks_is_posted_as_plain_text(
    slack_app: SlackApp, shipped_library: Any, answered_question: Call
) -> None:
    question, reply = QUESTION, answered_question
    slack_app.stub.fail("chat.postMessage", error="invalid_blocks")
    click_more(slack_app, reply)
    [posted] = slack_app.stub.wait_for("chat.postMessage")
    slack_app.settle()
    refused, resent = slack_app.stub.calls_to("chat.postMessage")
    assert refused.blocks and resent is posted and "blocks" not in posted.params
    assert_valid_message(posted)
    assert posted.params["thread_ts"] == reply.params["thread_ts"]
    assert posted.text.startswith(f"More on _{question}_:")
    for hit in shipped_library.search(question, 3, offset=3).hits:
        assert hit.passage.article.title in posted.text


def test_a_reply_in_the_thread_of_more_like_this_in_a_dm_follows_up_on_its_question(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    """In a DM, 'More like this' is posted where the answer is (no thread); a reply in its
    thread was searched alone, so 'what if they are remote?' lost the question it was about
    (the DM answer's own thread already followed up)."""
    reply = answer_in_a_dm(slack_app, QUESTION)
    click_more(slack_app, reply, channel="DLEADER")
    more = slack_app.stub.wait_for("chat.postMessage", 2)[-1]
    slack_app.settle()
    assert not more.params.get("thread_ts")  # beside the answer, as it was
    follow = "what if they are remote?"
    event = dm(follow, channel="DLEADER", thread_ts=more.response["ts"])
    assert slack_app.send_event(event_envelope(event)) == 200
    answer_ = slack_app.stub.wait_for("chat.postMessage", 3)[-1]
    slack_app.settle()
    assert_valid_message(answer_)
    assert answer_.params["thread_ts"] == more.response["ts"]
    assert "Following up on" in answer_.blocks[0]["text"]["text"]
    with_context = shipped_library.search(follow, 3, context=QUESTION)
    shown = json.loads(button(answer_, ACTION_HELPFUL)["value"])["p"]
    assert shown == [h.passage.id for h in with_context.hits]
