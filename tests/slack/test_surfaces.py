"""The surfaces beyond @mentions, end to end through the real HTTP server with signed
payloads shaped like Slack's: the "Coach me on this" message shortcut, the assistant side
panel, and the welcome when the bot joins a channel.

assistant.threads.* are newer than the 2020 Web API spec in ../shared/slack, so their
required arguments come from Slack's current method docs (docs.slack.dev/reference/methods/
assistant.threads.setStatus, .setSuggestedPrompts, .setTitle); tests/slack_stub.py holds
them beside the spec's and the fixture checks every recorded call against both.
"""

from __future__ import annotations

import json
from typing import Any

from bot.gaps.service import Gaps
from index.question_text import truncate_question
from tests.slack.answer_buttons import share_button
from tests.slack.surface_payloads import (
    member_joined,
    message_action,
    panel_message,
    panel_root,
    thread_started,
)
from tests.slack_checks import assert_valid_message
from tests.slack_fixtures import SlackApp
from tests.slack_payloads import block_action, dm, event_envelope, new_ts
from tests.slack_stub import Call, missing_required
from tests.slack_workspace import API_APP, BOT_USER

QUESTION = "how do I motivate my reps?"
OFF_TOPIC = "what is the best recipe for banana bread with walnuts?"


def shortcut(slack_app: SlackApp, payload: dict[str, Any]) -> None:
    assert slack_app.send_action(payload) == 200
    slack_app.settle()


def private_answers(slack_app: SlackApp) -> list[Call]:
    return slack_app.stub.calls_to("chat.postEphemeral")


# ---- "Coach me on this" -------------------------------------------------------------------
def test_shortcut_answers_only_the_asker_with_cited_passages(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    payload = message_action(QUESTION, response_url=slack_app.stub.response_url())
    shortcut(slack_app, payload)
    [call] = private_answers(slack_app)
    assert_valid_message(call)
    assert call.params["channel"] == "CSALES" and call.params["user"] == "ULEADER"
    expected = shipped_library.search(QUESTION, 3)
    text = json.dumps(call.blocks)
    assert expected.hits[0].passage.article.title.split(":")[0] in text  # cited
    assert share_button(call) is not None
    # nothing public yet
    assert slack_app.stub.calls_to("chat.postMessage") == []


def test_share_in_thread_posts_publicly_attributed_and_only_once(slack_app: SlackApp) -> None:
    parent = new_ts()
    payload = message_action(QUESTION, ts=parent, response_url=slack_app.stub.response_url())
    shortcut(slack_app, payload)
    button = share_button(private_answers(slack_app)[0])
    assert button is not None
    click = block_action(
        "coach_me_share",
        button["value"],
        user="ULEADER",
        channel="CSALES",
        response_url=slack_app.stub.response_url("share"),
        ephemeral=True,
    )
    assert slack_app.send_action(click) == 200
    slack_app.settle()
    assert slack_app.send_action(click) == 200  # a second click
    slack_app.settle()
    [post] = slack_app.stub.calls_to("chat.postMessage")
    assert_valid_message(post)
    assert post.params["channel"] == "CSALES"
    assert post.params["thread_ts"] == parent
    assert "<@ULEADER>" in json.dumps(post.blocks)
    replaced = [
        c for c in slack_app.stub.calls_to("response_url") if c.params.get("replace_original")
    ]
    assert replaced and "Shared" in replaced[0].text


def test_shortcut_on_a_threaded_reply_shares_into_that_thread(slack_app: SlackApp) -> None:
    parent = new_ts()
    payload = message_action(QUESTION, thread_ts=parent, response_url=slack_app.stub.response_url())
    shortcut(slack_app, payload)
    button = share_button(private_answers(slack_app)[0])
    assert button is not None and json.loads(button["value"])["th"] == parent


def test_private_coaching_refused_for_its_blocks_is_sent_as_plain_text(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    slack_app.stub.fail("chat.postEphemeral", error="invalid_blocks")
    shortcut(slack_app, message_action(QUESTION, response_url=slack_app.stub.response_url()))
    refused, plain = private_answers(slack_app)
    assert refused.blocks and "blocks" not in plain.params
    assert plain.params["channel"] == "CSALES" and plain.params["user"] == "ULEADER"
    expected = shipped_library.search(QUESTION, 3)
    assert expected.hits[0].passage.article.title.split(":")[0] in plain.text  # still cited
    assert slack_app.stub.calls_to("chat.postMessage") == []  # still private


def test_shortcut_where_the_bot_is_not_a_member_answers_by_dm(slack_app: SlackApp) -> None:
    slack_app.stub.fail("chat.postEphemeral", error="not_in_channel")
    shortcut(slack_app, message_action(QUESTION, response_url=slack_app.stub.response_url()))
    opened = slack_app.stub.calls_to("conversations.open")
    assert opened and opened[0].params["users"] == "ULEADER"
    [dm_post] = slack_app.stub.calls_to("chat.postMessage")
    assert_valid_message(dm_post)
    assert dm_post.params["channel"].startswith("D")
    assert "<#CSALES>" in json.dumps(dm_post.blocks)


def test_shortcut_on_a_long_message_says_only_its_start_was_searched(
    slack_app: SlackApp,
) -> None:
    """README: a long question is cut to MAX_QUESTION_CHARS and the reply says so. A
    mention said so; coaching on a long message (a rep's whole email) did not. The number
    is how much was searched (cut between words), not the limit of 500."""
    long = f"{QUESTION} " + "Our team has had a hard quarter and morale is low. " * 300
    texts = (long, f"{OFF_TOPIC} " + "Walnuts, flour, bananas and sugar. " * 300)
    for text in texts:
        shortcut(slack_app, message_action(text, response_url=slack_app.stub.response_url()))
    found, nothing = private_answers(slack_app)
    for text, call in zip(texts, (found, nothing), strict=True):
        assert_valid_message(call)
        searched = len(truncate_question(text, 500)[0])
        assert searched < 500
        note = f"searched only its first {searched} characters"
        assert note in json.dumps(call.blocks), call.blocks
        assert f"searched its first {searched} characters" in call.text
    assert share_button(found) is not None and share_button(nothing) is None


def test_shortcut_on_an_off_topic_message_says_so_privately(slack_app: SlackApp) -> None:
    shortcut(slack_app, message_action(OFF_TOPIC, response_url=slack_app.stub.response_url()))
    [call] = private_answers(slack_app)
    assert_valid_message(call)
    assert "nothing in the library" in call.text.lower()
    assert share_button(call) is None
    assert slack_app.stub.calls_to("chat.postMessage") == []


def test_shortcuts_reach_the_curators_gap_report(slack_app: SlackApp) -> None:
    from sqlalchemy import select

    from bot.store.tables import AskOutcome, asked_questions

    for text in (QUESTION, OFF_TOPIC):
        shortcut(slack_app, message_action(text, response_url=slack_app.stub.response_url()))
    with slack_app.engine.connect() as conn:
        rows = conn.execute(select(asked_questions.c.question, asked_questions.c.outcome)).all()
    assert sorted(rows) == sorted(
        [(QUESTION, AskOutcome.ANSWERED), (OFF_TOPIC, AskOutcome.ABSTAINED)]
    )


def test_coach_me_on_small_talk_is_no_question_the_library_missed(slack_app: SlackApp) -> None:
    """*Coach me on this* on a "thanks!" or a "hi" was searched, told the asker "There's
    nothing in the library on _thanks!_" and counted as a question the library could not
    answer (the curator's report: 3 questions, 3 not answered, answer rate 0%)."""
    for text in ("thanks!", "Thank you so much", "hi there"):
        shortcut(slack_app, message_action(text, response_url=slack_app.stub.response_url()))
    replies = private_answers(slack_app)
    assert len(replies) == 3
    for call in replies:
        assert_valid_message(call)
        assert "nothing in the library" not in call.text.lower()
        assert "nothing to coach on" in call.text.lower()
    report = Gaps(slack_app.engine, None, 90).report(7).to_json()
    assert (report["questions"], report["abstained"], report["gaps"]) == (0, 0, [])


def test_shortcut_is_acknowledged_before_the_answer_is_searched(slack_app: SlackApp) -> None:
    """The HTTP response (the ack) comes back while the search is still blocked."""
    import threading

    gate = threading.Event()
    original = slack_app.coach.search

    def slow_search(*args: Any, **kwargs: Any) -> Any:
        gate.wait(30)
        return original(*args, **kwargs)

    slack_app.coach.search = slow_search  # type: ignore[method-assign]
    try:
        payload = message_action(QUESTION, response_url=slack_app.stub.response_url())
        assert slack_app.send_action(payload) == 200  # returned although the search waits
        assert private_answers(slack_app) == []
    finally:
        gate.set()
    slack_app.settle()
    assert len(private_answers(slack_app)) == 1


# ---- the assistant side panel -------------------------------------------------------------
def test_thread_started_greets_and_suggests_three_prompts_from_the_library(
    slack_app: SlackApp,
) -> None:
    started = thread_started()
    assert slack_app.send_event(event_envelope(started)) == 200
    slack_app.settle()
    thread = started["assistant_thread"]
    [greeting] = slack_app.stub.calls_to("chat.postMessage")
    assert_valid_message(greeting)
    assert greeting.params["channel"] == "DPANEL"
    assert greeting.params["thread_ts"] == thread["thread_ts"]
    [prompts] = slack_app.stub.calls_to("assistant.threads.setSuggestedPrompts")
    assert prompts.params["channel_id"] == "DPANEL"
    assert prompts.params["thread_ts"] == thread["thread_ts"]
    offered = prompts.params["prompts"]
    assert len(offered) >= 3
    assert all(p["title"] and p["message"] for p in offered)
    topics = [t.lower() for t in slack_app.coach.topics]
    assert any(any(t in p["message"].lower() for t in topics) for p in offered)


def test_question_in_the_panel_gets_status_title_and_a_cited_answer(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    """A panel thread whose start this replica did not see: known by its root message."""
    thread = panel_root(slack_app.stub)
    assert slack_app.send_event(event_envelope(panel_message(QUESTION, thread))) == 200
    slack_app.settle()
    [status] = slack_app.stub.calls_to("assistant.threads.setStatus")
    assert status.params["status"] == "is looking through the library…"
    assert (status.params["channel_id"], status.params["thread_ts"]) == ("DPANEL", thread)
    [title] = slack_app.stub.calls_to("assistant.threads.setTitle")
    assert title.params["title"] == QUESTION
    [answer] = slack_app.stub.calls_to("chat.postMessage")
    assert_valid_message(answer)
    assert (answer.params["channel"], answer.params["thread_ts"]) == ("DPANEL", thread)
    expected = shipped_library.search(QUESTION, 3)
    assert expected.hits[0].passage.article.title.split(":")[0] in json.dumps(answer.blocks)
    # status came before the answer
    order = [c.method for c in slack_app.stub.calls]
    assert order.index("assistant.threads.setStatus") < order.index("chat.postMessage")


def test_follow_up_in_the_panel_builds_on_the_first_question(slack_app: SlackApp) -> None:
    thread = panel_root(slack_app.stub)
    assert slack_app.send_event(event_envelope(panel_message(QUESTION, thread))) == 200
    slack_app.settle()
    assert slack_app.send_event(event_envelope(panel_message("what about remote teams?", thread)))
    slack_app.settle()
    answers = slack_app.stub.calls_to("chat.postMessage")
    assert len(answers) == 2
    assert "Following up on" in json.dumps(answers[1].blocks)
    assert len(slack_app.stub.calls_to("assistant.threads.setTitle")) == 1  # first question only


def test_thread_started_delivered_again_greets_once(slack_app: SlackApp) -> None:
    """Slack delivers an event again when it missed the ack: the panel got a second
    greeting and a second set of prompts."""
    envelope = event_envelope(thread_started())
    assert slack_app.send_event(envelope) == 200
    slack_app.settle()
    assert slack_app.send_event(envelope, retry_num=1) == 200
    slack_app.settle()
    assert len(slack_app.stub.calls_to("chat.postMessage")) == 1
    assert len(slack_app.stub.calls_to("assistant.threads.setSuggestedPrompts")) == 1


def test_a_reply_in_a_dm_thread_is_no_assistant_thread(slack_app: SlackApp) -> None:
    """A reply in the thread of a DM answer (Bolt takes any threaded DM for the panel's)
    set the assistant status and title on a thread that is not an assistant thread, which
    Slack refuses; it is answered in that thread, as a follow-up, with no assistant.threads.*"""
    assert slack_app.send_event(event_envelope(dm(QUESTION, channel="DLEADER"))) == 200
    slack_app.settle()
    [answer] = slack_app.stub.calls_to("chat.postMessage")
    answer_ts = slack_app.stub.messages["DLEADER"][-1]["ts"]
    reply = panel_message("what if they are remote?", answer_ts, channel="DLEADER")
    assert slack_app.send_event(event_envelope(reply)) == 200
    slack_app.settle()
    follow_up = slack_app.stub.calls_to("chat.postMessage")[1]
    assert_valid_message(follow_up)
    assert (follow_up.params["channel"], follow_up.params["thread_ts"]) == ("DLEADER", answer_ts)
    assert "Following up on" in json.dumps(follow_up.blocks)
    assert [c.method for c in slack_app.stub.calls if c.method.startswith("assistant.")] == []


def test_hello_in_the_panel_gets_the_panels_help(slack_app: SlackApp) -> None:
    """The panel's help said "Mention me ... I'll answer in a thread", as in a channel; and
    the thread was titled "hi" in the panel's history."""
    started = thread_started()
    assert slack_app.send_event(event_envelope(started)) == 200
    slack_app.settle()
    thread = started["assistant_thread"]["thread_ts"]
    assert slack_app.send_event(event_envelope(panel_message("hi", thread))) == 200
    slack_app.settle()
    greeting, help_ = slack_app.stub.calls_to("chat.postMessage")
    assert_valid_message(help_)
    assert help_.params["thread_ts"] == thread
    how = help_.blocks[0]["text"]["text"]
    assert "this thread" in how and "mention me" not in how.lower()
    assert "@Leadership Coach" not in json.dumps(help_.blocks[1])
    assert "/leadership-tip" in json.dumps(help_.blocks)

    # the thread is named after its first question, not after "hi"
    assert slack_app.stub.calls_to("assistant.threads.setTitle") == []
    assert slack_app.send_event(event_envelope(panel_message(QUESTION, thread))) == 200
    slack_app.settle()
    [title] = slack_app.stub.calls_to("assistant.threads.setTitle")
    assert title.params["title"] == QUESTION


def test_panel_message_retried_by_slack_is_answered_once(slack_app: SlackApp) -> None:
    thread = panel_root(slack_app.stub)
    envelope = event_envelope(panel_message(QUESTION, thread))
    assert slack_app.send_event(envelope) == 200
    assert slack_app.send_event(envelope, retry_num=1) == 200
    slack_app.settle()
    assert len(slack_app.stub.calls_to("chat.postMessage")) == 1


def test_context_changed_costs_no_slack_calls(slack_app: SlackApp) -> None:
    changed = thread_started()
    changed["type"] = "assistant_thread_context_changed"
    assert slack_app.send_event(event_envelope(changed)) == 200
    slack_app.settle()
    # (Bolt's own one-time auth.test aside) nothing: no chat.update of the greeting
    assert [c.method for c in slack_app.stub.calls if c.method != "auth.test"] == []


# ---- welcome --------------------------------------------------------------------------------
def test_bot_joining_a_channel_says_hello_once(slack_app: SlackApp) -> None:
    assert slack_app.send_event(event_envelope(member_joined(BOT_USER))) == 200
    slack_app.settle()
    assert slack_app.send_event(event_envelope(member_joined(BOT_USER))) == 200  # re-added
    slack_app.settle()
    [hello] = slack_app.stub.calls_to("chat.postMessage")
    assert_valid_message(hello)
    assert hello.params["channel"] == "CNEWTEAM"
    assert "Coach me on this" in json.dumps(hello.blocks)


def test_someone_else_joining_is_not_welcomed(slack_app: SlackApp) -> None:
    assert slack_app.send_event(event_envelope(member_joined("UNEWHIRE"))) == 200
    slack_app.settle()
    assert slack_app.stub.calls_to("chat.postMessage") == []


def test_a_failed_welcome_is_tried_again_on_the_next_join(slack_app: SlackApp) -> None:
    slack_app.stub.fail("chat.postMessage", error="not_in_channel")
    assert slack_app.send_event(event_envelope(member_joined(BOT_USER))) == 200
    slack_app.settle()
    assert slack_app.send_event(event_envelope(member_joined(BOT_USER))) == 200
    slack_app.settle()
    assert len(slack_app.stub.wait_for("chat.postMessage")) == 1


def test_every_recorded_call_has_the_current_required_arguments(slack_app: SlackApp) -> None:
    """Drive all three surfaces, then check each call (spec + current docs for newer ones)."""
    thread = thread_started()
    slack_app.send_event(event_envelope(thread))
    slack_app.settle()  # greeted: the thread is known as the panel's
    slack_app.send_event(
        event_envelope(panel_message(QUESTION, thread["assistant_thread"]["thread_ts"]))
    )
    slack_app.send_event(event_envelope(member_joined(BOT_USER, channel="CALL")))
    slack_app.send_action(message_action(QUESTION, response_url=slack_app.stub.response_url()))
    slack_app.settle()
    methods = {c.method for c in slack_app.stub.calls}
    assert {
        "assistant.threads.setSuggestedPrompts",
        "assistant.threads.setStatus",
        "assistant.threads.setTitle",
        "chat.postEphemeral",
        "chat.postMessage",
    } <= methods
    for call in slack_app.stub.calls:
        if call.method != "response_url":
            assert missing_required(call) == [], call.method
    assert API_APP  # payloads above carry the app id Slack sends
