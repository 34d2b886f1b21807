"""Small talk end to end, as a DM or a mention: a bare mention, "help", a greeting or only
emoji gets the usage help, a thanks "you're welcome"; none is searched or counted as a
question the library missed, and a real question after a greeting is still answered."""

from __future__ import annotations

import json

import pytest

from bot.gaps.service import Gaps
from tests.slack.listeners.events.asking import QUESTION, ask, passage_ids
from tests.slack_fixtures import SlackApp
from tests.slack_payloads import dm, mention
from tests.slack_stub import Call
from tests.slack_workspace import BOT_USER


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
