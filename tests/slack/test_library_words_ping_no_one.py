"""Words from the library (an article's tags, title or text, a curated question) that
Slack's mrkdwn reads as a broadcast (@channel, @here, @everyone) reach people shown, never
as a notification: the welcome and help examples are phrased from the library's tags."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.library_fixtures import write_article
from tests.slack.surface_payloads import member_joined
from tests.slack_checks import assert_valid_message
from tests.slack_fixtures import SlackApp, running_app
from tests.slack_payloads import event_envelope, mention
from tests.slack_stub import SlackStub
from tests.slack_workspace import BOT_USER

LOUD = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)  # unbroken: notifies
RALLY = """
## Rallying the team at quarter end

When the quarter end push starts, tell the team channel what the number is and post the
plan once. Name the top deals so that every rep knows exactly where the team stands and
which deals matter most this week, and who owns each blocker.

## Keeping the push focused

Keep the quarter end push focused: three deals per rep, a daily ten-minute stand-up, and a
clear owner for every blocker. Thank people by name when a deal closes, and say the whole
team did it together when the number is made.
"""


@pytest.fixture
def loud_library(lib_embedder: Any, tmp_path: Path) -> Any:
    """A library whose every tag is a word Slack would broadcast on."""
    from index.library import Library

    content = tmp_path / "content"
    content.mkdir()
    write_article(
        content,
        "quarter-end-rally",
        RALLY,
        title='"Rallying @everyone for the quarter-end push"',
        extra='tags: ["@channel", "@here", "@everyone"]',
    )
    return Library.open(content, tmp_path / "index", lib_embedder.model_name, embedder=lib_embedder)


@pytest.fixture
def loud_app(slack_stub: SlackStub, loud_library: Any, tmp_path: Path) -> Iterator[SlackApp]:
    with running_app(slack_stub, loud_library, tmp_path / "data") as running:
        yield running


def test_welcome_and_help_phrased_from_tags_notify_no_one(loud_app: SlackApp) -> None:
    """Before, the welcome posted in the channel read '• @Leadership Coach What should I
    know about @channel?' and a bare mention's help the same in its thread: a literal
    @channel in mrkdwn, which Slack turns into a notification for the whole channel."""
    assert loud_app.send_event(event_envelope(member_joined(BOT_USER, "CNEWTEAM"))) == 200
    bare = mention(f"<@{BOT_USER}>")
    assert loud_app.send_event(event_envelope(bare)) == 200
    loud_app.stub.wait_for("chat.postMessage", 2, timeout=60)
    loud_app.settle()
    posts = loud_app.stub.calls_to("chat.postMessage")
    welcome = [c for c in posts if c.params["channel"] == "CNEWTEAM"]
    help_reply = [c for c in posts if c.params.get("thread_ts") == bare["ts"]]
    assert len(welcome) == 1 and len(help_reply) == 1
    for call in welcome + help_reply:
        assert_valid_message(call)
        shown = json.dumps(call.params, ensure_ascii=False)
        assert not LOUD.search(shown), LOUD.search(shown)
        # the tag is still shown, broken by a zero-width space
        assert re.search("@\u200b(channel|here|everyone)", shown), shown
