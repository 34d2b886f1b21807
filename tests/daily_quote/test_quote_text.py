"""What the daily quote says: its text escaped once, pinging no one (no <!channel>, no
literal @here), and a message built purely, within Slack's limits."""

from __future__ import annotations

import json
from typing import Any

from bot.daily_quote.message import quote_message
from index.types import Quote
from tests.daily_quote.quote_world import Clock, FakeLibrary, QuoteStub, make_world


def posted_alone(quote: Quote, stub: QuoteStub, db_url: str, clock: Clock) -> Any:
    """The day's post (its chat.postMessage call) of `quote`, the library's only one."""
    w = make_world(stub, db_url, clock, library=FakeLibrary([quote]))
    assert w.quoter.tick() is not None
    [call] = stub.quote_posts()
    return call


def test_quote_text_cannot_ping(stub: QuoteStub, db_url: str, clock: Clock) -> None:
    nasty = Quote(
        text="Hey <!channel> & <@U123>: Q&A at <https://evil.example|here>",
        author="R&D <!here>",
        article_title="Wins & Losses <!everyone>",
    )
    call = posted_alone(nasty, stub, db_url, clock)
    for payload in (call.text, str(call.blocks)):
        assert "<!" not in payload and "<@" not in payload and "<http" not in payload
        assert "&lt;!channel&gt;" in payload and "&amp;" in payload
    assert "&amp;lt;" not in call.text  # escaped once, not twice


def test_a_quote_naming_at_channel_notifies_no_one(
    stub: QuoteStub, db_url: str, clock: Clock
) -> None:
    """A quote, its author or its article's title with a literal @channel, @here or
    @everyone: Slack's mrkdwn would notify the whole quote channel; the words are shown,
    broken by a zero-width space, as every answer shows them."""
    loud = Quote(
        text="Tell @channel and @here: we win together.",
        author="@everyone on the team",
        article_title="Rallying @Channel at quarter end",
    )
    call = posted_alone(loud, stub, db_url, clock)
    for payload in (call.text, json.dumps(call.blocks, ensure_ascii=False)):
        for word in ("@channel", "@here", "@everyone", "@Channel"):
            assert word not in payload, f"{word} in {payload}"
        assert "Tell @\u200bchannel and @\u200bhere: we win together." in payload
        assert "@\u200beveryone on the team" in payload


def test_quote_message_is_pure_and_within_limits() -> None:
    long = Quote(text="word " * 2000, author="A", article_title=None, key="long")
    message = quote_message(long)
    assert message["text"]
    assert "From:" not in str(message)
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in message["blocks"])
    assert quote_message(long) == message
