"""Share in channel / Share in thread after the library changed under the buttons.

A passage's id names a place in its article ("<article>#3"). When the curator edits the
article (a paragraph added before it) while the bot serves, or a replica runs another
version of the library, that id names other words. A share must post the words the person
saw, never whatever took over their id."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.slack.messages.values import ACTION_SHARE_TIP
from index.embedder import Embedder
from index.library import Library
from index.reload import LibraryReloader
from tests.library_fixtures import SHIPPED_CONTENT
from tests.slack.surface_payloads import message_action
from tests.slack_checks import button, run_tip, tip_passage
from tests.slack_fixtures import SlackApp
from tests.slack_payloads import block_action, new_ts
from tests.slack_stub import Call

PREFACE = (
    "## Before you start\n\n"
    "Every team is different, and what follows is a starting point rather than a recipe. "
    "Read it with your own reps in mind, keep what fits the way your team sells, and try "
    "one change at a time so you can see which one made the difference.\n\n"
)


@pytest.fixture
def edit_article(
    slack_app: SlackApp, tmp_path: Path, lib_data_dir: Path, lib_embedder: Embedder
) -> Iterator[Any]:
    """`edit(article_id)`: a paragraph added at the top of that article, picked up by the
    running app as its reloader would (the new library swapped in); the new library."""
    content = Path(shutil.copytree(SHIPPED_CONTENT, tmp_path / "content"))
    index_dir = Path(shutil.copytree(lib_data_dir / "index", tmp_path / "index"))
    library = Library.open(content, index_dir, lib_embedder.model_name, embedder=lib_embedder)
    reloader = LibraryReloader(library, content, index_dir, lib_embedder)

    def edit(article_id: str) -> Library:
        path = content / f"{article_id}.md"
        _, front, body = path.read_text(encoding="utf-8").split("---", 2)
        path.write_text(f"---{front}---\n\n{PREFACE}{body.lstrip()}", encoding="utf-8")
        assert reloader.check_now().swapped
        slack_app.coach.reloader = reloader
        return reloader.current

    yield edit
    slack_app.coach.reloader = None


def text_of(library: Library, passage_id: str) -> str:
    return next(p.text for p in library.passages if p.id == passage_id)


def shown(blocks: list[dict[str, Any]], passage_text: str) -> bool:
    """Whether the passage's opening words are in the message (as Slack shows them)."""
    words = " ".join(passage_text.split()[:8])
    return words in json.dumps(blocks, ensure_ascii=False).replace("*", "")


def shared(slack_app: SlackApp, action_id: str, value: str, user: str) -> Call:
    """`user` clicks the share button `action_id` (its `value`) on a private message in
    CSALES: the message it posted."""
    click = block_action(
        action_id,
        value,
        user=user,
        channel="CSALES",
        response_url=slack_app.stub.response_url("share"),
        ephemeral=True,
    )
    assert slack_app.send_action(click) == 200
    [posted] = slack_app.stub.wait_for("chat.postMessage")
    slack_app.settle()
    return posted


def test_share_in_channel_after_the_article_was_edited_shares_the_tip_shown(
    slack_app: SlackApp, shipped_library: Library, edit_article: Any
) -> None:
    tip = run_tip(slack_app, "coaching")
    passage_id = tip_passage(tip)
    seen = text_of(shipped_library, passage_id)
    edited = edit_article(passage_id.split("#")[0])
    assert text_of(edited, passage_id) != seen  # the id now names other words
    posted = shared(slack_app, ACTION_SHARE_TIP, button(tip, ACTION_SHARE_TIP)["value"], "USHARER")
    assert shown(posted.blocks, seen), "the channel got another passage than the tip shown"
    assert not shown(posted.blocks, text_of(edited, passage_id))


def test_share_in_thread_after_the_article_was_edited_shares_the_coaching_shown(
    slack_app: SlackApp, shipped_library: Library, edit_article: Any
) -> None:
    question = "how do I motivate my reps?"
    payload = message_action(question, ts=new_ts(), response_url=slack_app.stub.response_url())
    assert slack_app.send_action(payload) == 200
    slack_app.settle()
    [private] = slack_app.stub.calls_to("chat.postEphemeral")
    value = button(private, "coach_me_share")["value"]
    first = json.loads(value)["p"][0]
    seen = text_of(shipped_library, first)
    edited = edit_article(first.split("#")[0])
    assert text_of(edited, first) != seen
    posted = shared(slack_app, "coach_me_share", value, "ULEADER")
    assert shown(posted.blocks, seen), "the thread got another passage than the one shown"
    assert not shown(posted.blocks, text_of(edited, first))
