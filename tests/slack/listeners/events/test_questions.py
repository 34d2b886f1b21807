"""Questions end to end: signed Events API requests into the app's HTTP server, its
WebClient pointed at the recording Slack stub, assertions on what people would see."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.gaps.service import Gaps
from bot.slack.sign_of_life import STILL_WORKING
from bot.store.tables import AskOutcome, asked_questions
from tests.slack_checks import assert_valid_message
from tests.slack_fixtures import SlackApp, on_both_databases, running_app
from tests.slack_payloads import dm, event_envelope, mention, new_ts, payload_shapes
from tests.slack_stub import Call, SlackStub
from tests.slack_workspace import BOT_USER

QUESTION = "how do I motivate my reps?"


def ask(slack_app: SlackApp, event: dict[str, Any], **kw: Any) -> Call:
    assert slack_app.send_event(event_envelope(event, **kw)) == 200
    calls = slack_app.stub.wait_for("chat.postMessage")
    slack_app.settle()
    assert len(slack_app.stub.calls_to("chat.postMessage")) == 1
    assert_valid_message(calls[0])
    return calls[0]


def passage_ids(call: Call) -> list[str]:
    for block in call.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == "feedback_helpful":
                return json.loads(element["value"])["p"]
    return []


def quotes(call: Call) -> list[str]:
    return [
        b["text"]["text"]
        for b in call.blocks
        if b["type"] == "section" and b["text"]["text"].startswith(">")
    ]


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


def test_bare_mention_gets_help(slack_app: SlackApp) -> None:
    call = ask(slack_app, mention(f"<@{BOT_USER}>"))
    everything = json.dumps(call.params)
    assert "/leadership-tip" in everything
    assert "question" in everything.lower()
    assert not passage_ids(call)


@pytest.mark.parametrize(
    "text",
    ["help", "Help?", "help me", "hi", "Hello!", "hey there", "good morning", "morning!",
     "hey there, good afternoon"],
)  # fmt: skip
def test_help_in_a_dm_gets_the_help_not_a_search_for_help(slack_app: SlackApp, text: str) -> None:
    """People type "help" into a new app's DM; it used to be searched, and got a passage on
    the company's support services."""
    call = ask(slack_app, dm(text))
    everything = json.dumps(call.params)
    assert "/leadership-tip" in everything
    assert not passage_ids(call)
    assert "library says about" not in call.text


def help_parts(call: Call) -> tuple[str, str]:
    """(how the help says to ask, its example questions) as the asker reads them."""
    sections = [b["text"]["text"] for b in call.blocks if b["type"] == "section"]
    return sections[0], next(s for s in sections if s.startswith("*Try:*"))


@pytest.mark.parametrize("text", ["", "hi", ":wave:", "help"])
def test_the_help_in_a_dm_says_to_ask_right_there(slack_app: SlackApp, text: str) -> None:
    """A DM is answered where it was asked: the help sent for an empty DM, a greeting or
    emoji said "Mention me ... and I'll answer in a thread", with @mention examples."""
    call = ask(slack_app, dm(text))
    how, examples = help_parts(call)
    assert "right here" in how
    assert "mention me" not in how.lower() and "in a thread" not in how
    assert "@Leadership Coach" not in examples
    assert "mention me" not in call.text.lower()
    assert "/leadership-tip" in json.dumps(call.params)


def test_the_help_for_a_bare_mention_says_to_mention_in_a_channel(slack_app: SlackApp) -> None:
    call = ask(slack_app, mention(f"<@{BOT_USER}> hi"))
    how, examples = help_parts(call)
    assert "Mention me" in how and "in a thread" in how
    assert "@Leadership Coach" in examples
    assert "/leadership-tip" in json.dumps(call.params)


@pytest.mark.parametrize(
    "text",
    ["thanks!", "Thank you so much", "thx", "Cheers, coach :pray:", "ok thanks!",
     "thanks, that helps", "great, thank you"],
)  # fmt: skip
def test_thanks_gets_a_welcome_not_a_search_for_thanks(slack_app: SlackApp, text: str) -> None:
    """A leader thanking the coach after an answer got "the library doesn't have anything
    that really answers _thanks_" (and, for the curator, a content gap)."""
    call = ask(slack_app, dm(text))
    assert "welcome" in call.text.lower()
    assert not passage_ids(call)
    assert "doesn't have anything" not in json.dumps(call.params)


def test_thanks_and_greetings_are_no_questions_the_library_missed(slack_app: SlackApp) -> None:
    """A "thanks!" or "hi" in a DM or a mention must not count, in the curator's report, as
    a question the library could not answer."""
    for text in ("thanks!", "hi", "Thank you so much", "ok thanks!", "good morning"):
        ask(slack_app, dm(text))
        slack_app.stub.reset()
    ask(slack_app, mention(f"<@{BOT_USER}> thanks!"))
    report = Gaps(slack_app.engine, None, 90).report(7).to_json()
    assert (report["questions"], report["abstained"], report["gaps"]) == (0, 0, [])


@pytest.mark.parametrize("greeting", ["thanks! and", "good morning,", "Hey there, thanks -"])
def test_a_question_after_thanks_or_a_greeting_is_still_answered(
    slack_app: SlackApp, greeting: str
) -> None:
    call = ask(slack_app, dm(f"{greeting} {QUESTION}"))
    assert passage_ids(call)


@pytest.mark.parametrize("text", [f"<@{BOT_USER}> :thinking_face:", f"<@{BOT_USER}> :wave: :+1:"])
def test_a_mention_of_only_emoji_gets_the_help_not_passages(slack_app: SlackApp, text: str) -> None:
    """An emoji's name was searched as the question: `:thinking_face:` got three unrelated
    passages (face-to-face calls, a customer visit, an aside from a blog post)."""
    call = ask(slack_app, mention(text))
    assert "/leadership-tip" in json.dumps(call.params)
    assert not passage_ids(call)
    assert "library says about" not in call.text


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
    long_question = QUESTION + " " + ("and keep them engaged " * 2000)
    long_question = long_question[:40_000]
    call = ask(slack_app, mention(f"<@{BOT_USER}> {long_question}"))
    limit = slack_app.settings.max_question_chars
    assert f"first {limit} characters" in call.text
    assert f"first {limit} characters" in json.dumps(call.blocks)
    assert len(json.dumps(call.params)) < 40_000


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


@on_both_databases
def test_slack_retries_of_one_event_are_answered_once(slack_app: SlackApp) -> None:
    event = mention(f"<@{BOT_USER}> {QUESTION}")
    envelope = event_envelope(event)
    assert slack_app.send_event(envelope) == 200
    assert slack_app.send_event(envelope, retry_num=1) == 200
    assert slack_app.send_event(envelope, retry_num=2) == 200
    # the same message delivered under another event id (e.g. as a DM and a mention)
    assert slack_app.send_event(event_envelope(dict(event))) == 200
    slack_app.stub.wait_for("chat.postMessage")
    slack_app.settle()
    assert len(slack_app.stub.calls_to("chat.postMessage")) == 1


def test_rate_limited_then_success(slack_app: SlackApp) -> None:
    slack_app.stub.fail("chat.postMessage", status=429, retry_after=1)
    event = mention(f"<@{BOT_USER}> {QUESTION}")
    assert slack_app.send_event(event_envelope(event)) == 200
    slack_app.stub.wait_for("chat.postMessage")
    slack_app.settle()
    posts = slack_app.stub.calls_to("chat.postMessage")
    attempts = [c for c in posts if STILL_WORKING not in c.text]
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].params["thread_ts"] == event["ts"]
    # Slack took nothing (429): the asker was told the answer is on its way, once
    assert [c.params["thread_ts"] for c in posts if STILL_WORKING in c.text] == [event["ts"]]


def test_server_error_then_success(slack_app: SlackApp) -> None:
    slack_app.stub.fail("chat.postMessage", status=500)
    ask_event = mention(f"<@{BOT_USER}> {QUESTION}")
    assert slack_app.send_event(event_envelope(ask_event)) == 200
    slack_app.stub.wait_for("chat.postMessage")
    slack_app.settle()
    assert [c.status for c in slack_app.stub.calls_to("chat.postMessage")] == [500, 200]


def test_dropped_connection_then_success(slack_app: SlackApp) -> None:
    slack_app.stub.fail("chat.postMessage", drop=True)
    assert slack_app.send_event(event_envelope(dm(QUESTION))) == 200
    slack_app.stub.wait_for("chat.postMessage")
    slack_app.settle()
    statuses = [c.status for c in slack_app.stub.calls_to("chat.postMessage")]
    assert statuses[-1] == 200 and statuses.count(200) == 1


@on_both_databases
def test_simultaneous_duplicate_deliveries_are_answered_once(slack_app: SlackApp) -> None:
    import threading

    envelope = event_envelope(mention(f"<@{BOT_USER}> {QUESTION}"))
    statuses: list[int] = []
    threads = [
        threading.Thread(
            target=lambda i=i: statuses.append(slack_app.send_event(envelope, retry_num=i or None))
        )
        for i in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 6
    slack_app.stub.wait_for("chat.postMessage")
    slack_app.settle()
    assert len(slack_app.stub.calls_to("chat.postMessage")) == 1


def test_the_ack_never_waits_for_the_search(slack_app: SlackApp) -> None:
    import threading

    from tests.slack_payloads import slack_command_form

    release = threading.Event()
    started = threading.Event()
    library = slack_app.coach.library
    real_search, real_many = library.search, library.search_many

    def stuck(real: Any) -> Any:
        def search(*args: Any, **kwargs: Any) -> Any:
            started.set()
            release.wait(120)  # longer than the client waits: a blocking ack would fail
            return real(*args, **kwargs)

        return search

    library.search = stuck(real_search)  # type: ignore[method-assign]
    library.search_many = stuck(real_many)  # type: ignore[method-assign]
    try:
        # the HTTP answers come back while every search is still stuck
        assert slack_app.send_event(event_envelope(mention(f"<@{BOT_USER}> {QUESTION}"))) == 200
        form = slack_command_form("coaching", slack_app.stub.response_url("t"))
        assert slack_app.send_command(form) == (200, "")
        assert started.wait(30)
        assert not release.is_set()
        assert slack_app.stub.calls_to("chat.postMessage") == []
    finally:
        release.set()
        del library.search
        del library.search_many
    slack_app.stub.wait_for("chat.postMessage")
    slack_app.stub.wait_for("response_url")
    slack_app.settle()


@on_both_databases
def test_a_burst_of_mentions_is_answered_once_each(slack_app: SlackApp) -> None:
    import threading

    events = [mention(f"<@{BOT_USER}> {QUESTION}", user=f"U{i:04d}") for i in range(25)]
    statuses: list[int] = []
    threads = [
        threading.Thread(
            target=lambda e=e: statuses.append(slack_app.send_event(event_envelope(e)))
        )
        for e in events
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * len(events)
    slack_app.stub.wait_for("chat.postMessage", len(events), timeout=120)
    slack_app.settle()
    threads_answered = [c.params["thread_ts"] for c in slack_app.stub.calls_to("chat.postMessage")]
    assert sorted(threads_answered) == sorted(e["ts"] for e in events)


def test_questions_queued_while_every_lane_searches_are_searched_in_one_batch(
    slack_stub: SlackStub, shipped_library: Any, tmp_path: Path
) -> None:
    import threading

    with running_app(slack_stub, shipped_library, tmp_path / "data", search_lanes=2) as app:
        coach = app.coach
        app.settle()  # start-up work (warming suggestions) is done
        real_many = shipped_library.search_many
        started, release = [threading.Event(), threading.Event()], threading.Event()
        batches: list[int] = []

        def recording(questions: list[str], *args: Any, **kwargs: Any) -> Any:
            batches.append(len(questions))
            if len(batches) <= 2:  # the first search in each lane waits
                started[len(batches) - 1].set()
                release.wait(60)
            return real_many(questions, *args, **kwargs)

        questions = [QUESTION, "how should I coach an underperforming rep?", "banana bread?"] * 3
        results: dict[int, Any] = {}
        shipped_library.search_many = recording  # type: ignore[method-assign]
        try:
            first = [
                threading.Thread(target=lambda i=i: results.__setitem__(i, coach.search(QUESTION)))
                for i in (-1, -2)
            ]
            first[0].start()
            assert started[0].wait(30)
            first[1].start()
            assert started[1].wait(30)  # the second lane searches while the first is busy
            threads = [
                threading.Thread(target=lambda i=i, q=q: results.__setitem__(i, coach.search(q)))
                for i, q in enumerate(questions)
            ]
            for t in threads:
                t.start()
            deadline = time.monotonic() + 30
            while len(coach._queue) < len(questions) and time.monotonic() < deadline:
                time.sleep(0.01)
            release.set()
            for t in [*first, *threads]:
                t.join(60)
        finally:
            release.set()
            del shipped_library.search_many
        settings = app.settings
    assert batches == [1, 1, len(questions)]
    assert results[-1].hits and results[-2].hits
    for i, q in enumerate(questions):
        expected = shipped_library.search(q, settings.top_k)
        assert results[i].answered == expected.answered
        assert [h.passage.id for h in results[i].hits] == [h.passage.id for h in expected.hits]


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
