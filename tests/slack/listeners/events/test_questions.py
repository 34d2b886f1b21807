"""Questions end to end: signed Events API requests into the app's HTTP server, its
WebClient pointed at the recording Slack stub, assertions on what people would see.
Small talk: test_small_talk.py; retries, Slack errors and load:
test_question_retries_and_load.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.gaps.service import Gaps
from bot.store.tables import AskOutcome, asked_questions
from index.question_text import truncate_question
from tests.slack.listeners.events.asking import QUESTION, ask, passage_ids, quotes
from tests.slack_checks import assert_valid_message
from tests.slack_fixtures import SlackApp, on_both_databases
from tests.slack_payloads import dm, event_envelope, mention, new_ts, payload_shapes
from tests.slack_workspace import BOT_USER


def test_envelopes_have_slacks_keys() -> None:
    shapes = payload_shapes()
    envelope = event_envelope(mention("hi"))
    if shapes:
        assert set(envelope) == set(shapes["app_mention_envelope"])
        assert set(envelope["event"]) == set(shapes["app_mention_event"])


def test_mention_in_channel_is_answered_in_its_thread(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    event = mention(f"<@{BOT_USER}> {QUESTION}")
    call = ask(slack_app, event)
    assert call.params["channel"] == "CSALES"
    assert call.params["thread_ts"] == event["ts"]
    expected = shipped_library.search(QUESTION, 3)
    assert passage_ids(call) == [h.passage.id for h in expected.hits]
    shown = quotes(call)
    assert 1 <= len(shown) <= slack_app.settings.top_k
    # each passage quoted with its key sentence in bold, and cited
    for text, hit in zip(shown, expected.hits, strict=True):
        assert f"*{hit.key_sentence.strip()}" in text.replace("\n>", " ")
    citations = [b for b in call.blocks if b["type"] == "context"]
    assert len(citations) == len(shown)
    assert expected.hits[0].passage.article.title.split(":")[0] in json.dumps(citations)
    assert "link_names" not in call.params


def test_mention_inside_a_thread_is_answered_in_that_thread(slack_app: SlackApp) -> None:
    parent = new_ts()
    call = ask(slack_app, mention(f"<@{BOT_USER}> {QUESTION}", thread_ts=parent))
    assert call.params["thread_ts"] == parent


def test_direct_message_is_answered_in_the_dm(slack_app: SlackApp) -> None:
    call = ask(slack_app, dm(QUESTION))
    assert call.params["channel"] == "DASKER"
    assert not call.params.get("thread_ts")
    assert passage_ids(call)


def test_emoji_in_a_question_are_not_searched_or_echoed(slack_app: SlackApp) -> None:
    call = ask(slack_app, dm(f":wave: {QUESTION} :muscle::skin-tone-2:"))
    assert passage_ids(call)
    assert f"_{QUESTION}_" in json.dumps(call.blocks)
    assert "muscle" not in call.text


def test_nothing_relevant_says_so_and_suggests_questions(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    call = ask(slack_app, mention(f"<@{BOT_USER}> what is the recipe for banana bread?"))
    assert not passage_ids(call)
    assert not quotes(call)
    assert "doesn't have anything" in call.text
    suggested = [
        line.removeprefix("• ")
        for b in call.blocks
        if b["type"] == "section"
        for line in b["text"]["text"].splitlines()
        if line.startswith("• ")
    ]
    assert len(suggested) == 3
    topics = [t.replace("-", " ") for t in shipped_library.topics]
    for question in suggested:  # built from the library's topics, and it answers them
        assert any(topic in question for topic in topics)
        assert shipped_library.search(question, 3).answered


def test_follow_up_in_an_answered_thread_uses_the_first_question(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    first = mention(f"<@{BOT_USER}> {QUESTION}")
    ask(slack_app, first)
    slack_app.stub.calls.clear()
    follow = "what about remote teams?"
    call = ask(slack_app, mention(f"<@{BOT_USER}> {follow}", thread_ts=first["ts"]))
    assert call.params["thread_ts"] == first["ts"]
    with_context = shipped_library.search(follow, 3, context=QUESTION)
    without = shipped_library.search(follow, 3)
    assert passage_ids(call) == [h.passage.id for h in with_context.hits]
    assert passage_ids(call) != [h.passage.id for h in without.hits]
    assert "Following up on" in call.blocks[0]["text"]["text"]


def test_a_reply_in_the_thread_of_a_dm_answer_follows_up_on_its_question(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    """A DM is answered where it was asked; a reply in that answer's thread was searched
    alone, so "what about remote teams?" lost the question it followed up on."""
    answer = ask(slack_app, dm(QUESTION))
    assert "thread_ts" not in answer.params or not answer.params["thread_ts"]
    slack_app.stub.calls.clear()
    follow = "what about remote teams?"
    assert slack_app.send_event(event_envelope(dm(follow, thread_ts=answer.response["ts"]))) == 200
    call = slack_app.stub.wait_for("chat.postMessage")[0]
    slack_app.settle()
    assert_valid_message(call)
    assert call.params["thread_ts"] == answer.response["ts"]
    with_context = shipped_library.search(follow, 3, context=QUESTION)
    assert passage_ids(call) == [h.passage.id for h in with_context.hits]
    assert "Following up on" in call.blocks[0]["text"]["text"]


def test_follow_up_context_from_slack_history_when_the_db_has_none(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    # the thread was answered by an earlier deployment: only Slack remembers it
    parent = new_ts()
    stub = slack_app.stub
    stub.seed_message("CSALES", parent, f"<@{BOT_USER}> {QUESTION}")
    stub.seed_message(
        "CSALES", new_ts(), "earlier answer", user=BOT_USER, bot_id="BCOACHBOT", thread_ts=parent
    )
    follow = "what about remote teams?"
    call = ask(slack_app, mention(f"<@{BOT_USER}> {follow}", thread_ts=parent))
    replies = stub.calls_to("conversations.replies")
    assert replies and replies[0].params["ts"] == parent
    with_context = shipped_library.search(follow, 3, context=QUESTION)
    assert passage_ids(call) == [h.passage.id for h in with_context.hits]


def test_mentions_and_links_in_a_question_never_become_pings(slack_app: SlackApp) -> None:
    text = (
        f"<@{BOT_USER}> <!channel> <!here> <!everyone> <!subteam^S0SALES|@sales> "
        f"<@UINTRUDER> @channel how do I <https://evil.example|motivate> my reps?"
    )
    call = ask(slack_app, mention(text))
    # assert_valid_message (in ask) already checked no <!...> or <@UINTRUDER> was sent
    assert passage_ids(call)
    assert "@channel" not in json.dumps(call.params)
    assert "evil.example" not in json.dumps(call.params)


@pytest.mark.parametrize("extra", ["@here {}", "{} <https://zoom.us/j/98765>"])
def test_a_typed_at_here_or_a_pasted_link_changes_nothing_in_the_answer(
    slack_app: SlackApp, shipped_library: Any, extra: str
) -> None:
    """In a DM Slack leaves a typed "@here" as text, and a pasted link is <https://...>: each
    was searched with the question, and "@here how do I set territories fairly?" (or with a
    meeting link after it) got "the library doesn't have anything"."""
    question = "how do I set territories fairly?"
    call = ask(slack_app, dm(extra.format(question)))
    assert passage_ids(call) == [h.passage.id for h in shipped_library.search(question, 3).hits]
    assert passage_ids(call) and "@here" not in json.dumps(call.params)


def test_injection_in_a_question_with_no_answer(slack_app: SlackApp) -> None:
    call = ask(slack_app, mention(f"<@{BOT_USER}> <!here> &lt;!channel&gt; banana bread recipe"))
    assert "<!channel>" not in json.dumps(call.params)
    assert not passage_ids(call)


def test_a_question_the_library_leaves_to_others_says_who_to_ask(slack_app: SlackApp) -> None:
    call = ask(slack_app, mention(f"<@{BOT_USER}> which call-recording tool should we buy?"))
    assert not passage_ids(call)
    assert "is the place to ask" in call.text and "RevOps" in call.text
    # the curator's report counts it under its topic, not as a content gap
    with slack_app.engine.connect() as conn:
        row = conn.execute(
            select(asked_questions.c.outcome, asked_questions.c.declined_topic)
        ).one()
    assert row.outcome == AskOutcome.DECLINED and "vendors" in row.declined_topic


def test_a_40000_character_question_is_cut_and_the_reply_says_so(slack_app: SlackApp) -> None:
    """The reply says how much was searched: the question is cut between words, a few
    characters under MAX_QUESTION_CHARS (497 of 500 here), as the console says it. It said
    500, the limit, while the console said 497."""
    long_question = QUESTION + " " + ("and keep them engaged " * 2000)
    long_question = long_question[:40_000]
    call = ask(slack_app, mention(f"<@{BOT_USER}> {long_question}"))
    limit = slack_app.settings.max_question_chars
    searched = len(truncate_question(long_question, limit)[0])
    assert searched < limit
    assert f"first {searched} characters" in call.text
    assert f"first {searched} characters" in json.dumps(call.blocks)
    assert len(json.dumps(call.params)) < 40_000


def test_a_40000_character_message_of_calls_to_everyone_gets_the_help(slack_app: SlackApp) -> None:
    """A message that only calls everyone is no question, however long. Stored, it was cut
    at 8,000 characters, inside a `<!channel>` for most lengths: the `<!c` left over became
    the question, and the reply said the library had nothing that "really answers _!c_" (a
    content gap for the curator too)."""
    for shift in range(len("<!channel> ")):  # the cut falls at each place in the last one
        text = f"<@{BOT_USER}>" + " " * shift + "<!channel> " * 4000
        assert len(text) > 40_000
        call = ask(slack_app, mention(text))
        everything = json.dumps(call.params)
        assert "/leadership-tip" in everything
        assert not passage_ids(call)
        assert "doesn't have anything" not in everything and "_!" not in everything
        slack_app.stub.reset()
    assert Gaps(slack_app.engine, None, 90).report(7).to_json()["questions"] == 0


@on_both_databases
def test_a_question_with_half_an_emoji_is_answered_once(slack_app: SlackApp) -> None:
    # a lone surrogate: valid JSON, not valid UTF-8 (a client that cut an emoji in two)
    envelope = event_envelope(mention(f"<@{BOT_USER}> {QUESTION} \ud83d"))
    status, _ = slack_app.post_signed(json.dumps(envelope))
    assert status == 200
    call = slack_app.stub.wait_for("chat.postMessage")[0]
    slack_app.settle()
    assert len(slack_app.stub.calls_to("chat.postMessage")) == 1
    assert_valid_message(call)
    assert passage_ids(call)
    assert "\ufffd" in call.text or "\ufffd" in json.dumps(call.blocks, ensure_ascii=False)


def test_bots_edits_deletions_and_channel_chatter_are_ignored(slack_app: SlackApp) -> None:
    ignored = [
        dm(QUESTION, bot_id="B0OTHER"),
        dm(QUESTION, subtype="bot_message", bot_id="B0OTHER"),
        dm(QUESTION, user=BOT_USER),
        dm(
            QUESTION,
            subtype="message_changed",
            message={"text": QUESTION, "user": "UASKER", "ts": new_ts()},
        ),
        dm("", subtype="message_deleted", deleted_ts=new_ts()),
        {**dm(QUESTION), "channel_type": "channel", "channel": "CSALES"},
        mention(f"<@{BOT_USER}> {QUESTION}", user=BOT_USER),
    ]
    for event in ignored:
        assert slack_app.send_event(event_envelope(event)) == 200
    slack_app.settle()
    assert slack_app.stub.calls_to("chat.postMessage") == []
    # and the app still answers a person
    ask(slack_app, dm(QUESTION))


def test_a_reply_in_the_thread_of_a_dm_question_follows_up_on_it(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    """A DM is answered beside the question; a reply in the question's own thread ("Reply
    in thread" on one's own message) was searched alone and got "the library doesn't have
    anything that really answers _what if they are remote?_"."""
    question = dm(QUESTION)
    ask(slack_app, question)
    slack_app.stub.calls.clear()
    follow = "what if they are remote?"
    assert slack_app.send_event(event_envelope(dm(follow, thread_ts=question["ts"]))) == 200
    call = slack_app.stub.wait_for("chat.postMessage")[0]
    slack_app.settle()
    assert_valid_message(call)
    assert call.params["thread_ts"] == question["ts"]
    assert "Following up on" in call.blocks[0]["text"]["text"]
    assert call.text.startswith(f"Following up on {QUESTION}")  # the notification too
    with_context = shipped_library.search(follow, 3, context=QUESTION)
    assert passage_ids(call) == [h.passage.id for h in with_context.hits]
