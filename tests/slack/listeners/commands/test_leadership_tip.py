"""/leadership-tip end to end through the app's HTTP server."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from bot.slack import runtime
from bot.slack.messages.values import (
    ACTION_ANOTHER_TIP,
)
from tests.slack_checks import assert_valid_message, button, run_tip, tip_passage
from tests.slack_fixtures import SlackApp, on_both_databases
from tests.slack_payloads import block_action, payload_shapes, slack_command_form


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


@on_both_databases
def test_tip_without_topic_never_repeats_back_to_back(slack_app: SlackApp) -> None:
    slack_app.coach._rng = FirstChoice()
    shown = [tip_passage(run_tip(slack_app, "")) for _ in range(6)]
    assert all(a != b for a, b in zip(shown, shown[1:], strict=False))
    # remembered in the database, so a restart does not repeat either
    assert slack_app.coach.tips.recent("UASKER", 1) == [shown[-1]]


def test_a_topic_typed_with_markup_is_read_and_echoed_as_its_words(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    """The topic was echoed and searched as typed: code marks, bold and emoji showed as
    markup inside the tip's italic heading."""
    call = run_tip(slack_app, "`*coaching*` :fire:")
    assert call.blocks[0]["text"]["text"] == ":bulb: *Leadership tip* on _coaching_"
    assert tip_passage(call) == shipped_library.search("coaching", 8).hits[0].passage.id
    assert ":fire:" not in json.dumps(call.params)


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


def test_a_tip_refused_for_its_blocks_still_reaches_the_asker_as_plain_text(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    slack_app.stub.fail("response_url", error="invalid_blocks")
    call = run_tip(slack_app, "coaching")
    refused, shown = slack_app.stub.calls_to("response_url")
    assert refused.blocks and shown is call and call.blocks == []
    assert call.params["response_type"] == "ephemeral"
    expected = shipped_library.search("coaching", 8).hits[0].passage
    assert expected.article.title in call.text


def ask_tip(slack_app: SlackApp, topic: str) -> None:
    form = slack_command_form(topic, slack_app.stub.response_url("tip"))
    assert slack_app.send_command(form) == (200, "")  # acked at once, outage or not


def test_a_tip_asked_during_a_slack_outage_arrives_after_it_once(
    slack_app: SlackApp, shipped_library: Any
) -> None:
    slack_app.stub.outage(4, method="response_url")  # HTTP 503 for 4 s
    ask_tip(slack_app, "coaching")
    [call] = slack_app.stub.wait_for("response_url", timeout=40)
    refused = [c for c in slack_app.stub.calls_to("response_url") if c.status == 503]
    assert refused and call.at > refused[-1].at  # tried during the outage, shown after it
    assert_valid_message(call)
    expected = shipped_library.search("coaching", 8).hits[0].passage
    assert tip_passage(call) == expected.id
    slack_app.settle()
    assert len(slack_app.stub.wait_for("response_url")) == 1  # once


def test_a_tip_slack_will_not_take_is_given_up_with_one_line(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    slack_app.stub.fail("response_url", error="expired_url")
    with caplog.at_level(logging.WARNING, logger="bot.slack.runtime"):
        ask_tip(slack_app, "coaching")
        slack_app.settle()
    assert len(slack_app.stub.calls_to("response_url")) == 1  # not retried: it cannot help
    [line] = [r.getMessage() for r in caplog.records if "response_url" in r.getMessage()]
    assert "expired_url" in line


def test_a_tip_through_an_outage_longer_than_its_url_lives_is_given_up_with_one_line(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "RESPONSE_URL_SECONDS", 3.0)  # instead of 25 minutes
    slack_app.stub.outage(30, method="response_url")
    with caplog.at_level(logging.WARNING, logger="bot.slack.runtime"):
        ask_tip(slack_app, "coaching")
        deadline = time.monotonic() + 30
        while not any("given up" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "never given up"
            time.sleep(0.1)
    lines = [r.getMessage() for r in caplog.records if "response_url" in r.getMessage()]
    assert len(lines) == 1 and "503" in lines[0]
    assert not [c for c in slack_app.stub.calls_to("response_url") if c.status == 200]


LONG_TOPIC = "how do I coach reps who miss quota " + (
    "and keep the whole team motivated through a long quarter " * 5
)  # 320 characters; the 200th falls inside "quarter"


def test_a_topic_over_200_characters_is_cut_between_words_and_the_reply_says_so(
    slack_app: SlackApp,
) -> None:
    """Before: cut at 200 characters in silence (and in the middle of "quarter"): the tip
    seemed to ignore the rest of what the person typed."""
    call = run_tip(slack_app, LONG_TOPIC)
    assert tip_passage(call)  # still a tip
    notes = [
        element["text"]
        for block in call.blocks
        if block["type"] == "context"
        for element in block["elements"]
    ]
    [note] = [n for n in notes if "first part" in n]
    assert note == (
        ":scissors: Your topic was over 200 characters, so I used only its first part, "
        "up to \u201c\u2026team motivated through a long\u201d."
    )  # where it stopped, never inside a word ("a long qu")
    assert "so I used only its first part" in call.text  # the notification says it too
    heading = call.blocks[0]["text"]["text"]
    assert heading.startswith(":bulb: *Leadership tip* on _how do I coach reps")


def test_a_topic_of_200_characters_is_used_whole_and_nothing_is_said() -> None:
    from bot.coach import cut_topic

    exact = "x" * 99 + " " + "x" * 100
    assert cut_topic(f"  {exact}\n") == (exact, False)
    assert cut_topic(exact + "y") == ("x" * 99, True)  # the word crossing the limit goes
    assert cut_topic(exact + " y") == (exact, True)
    assert cut_topic("y" * 250) == ("y" * 200, True)  # one long word: cut at the limit
    assert cut_topic(LONG_TOPIC)[0] == LONG_TOPIC[:200].rsplit(" ", 1)[0]


def test_a_long_topic_with_no_tip_is_told_both(slack_app: SlackApp) -> None:
    call = run_tip(slack_app, "banana bread recipes " * 12)
    assert "don't have a tip" in call.text
    assert "so I used only its first part" in json.dumps(call.blocks)
