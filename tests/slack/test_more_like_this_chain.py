""" "More like this" never shows a passage the leader already saw in the thread.

Before, the button carried an offset ("skip the first 3") and the click searched again: once
the ranking moved between the answer and the click (the curator added an article, which a
running app hot-reloads), the page repeated passages already shown. Now the button carries
the fingerprints of every passage shown in its thread, and the click leaves those out.
Clicks are signed block_actions requests to the app; posts are checked as Slack would."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.slack.messages.answers import CHAIN_FULL
from bot.slack.messages.values import (
    ACTION_HELPFUL,
    ACTION_MORE,
    BUTTON_VALUE_LIMIT,
    MORE_SHOWN_MAX,
    shown_digest,
)
from index.embedder import Embedder
from index.library import Library
from index.reload import LibraryReloader
from tests.library_fixtures import SHIPPED_CONTENT, write_article
from tests.slack.answer_buttons import (
    QUESTION,
    answer,
    answered_message,
    click_more,
)
from tests.slack_checks import assert_valid_message, button
from tests.slack_fixtures import SlackApp, at_once, running_app
from tests.slack_payloads import block_action
from tests.slack_stub import Call, SlackStub

MOTIVATION = """
## What motivates reps

Reps stay motivated when they can see their own progress. Show each rep the activities they
control every week, and praise the effort as well as the closed deals, so motivation does
not rise and fall with the quota alone.

## Recognition that motivates

Recognise good work the day it happens. A short public thank-you from the sales manager,
naming what the rep did, motivates more than a bonus paid months later, and it tells the
rest of the team what good looks like.
"""
NEW_TITLE = "Motivating Your Sales Reps"


@pytest.fixture
def add_article(
    slack_app: SlackApp, tmp_path: Path, lib_data_dir: Path, lib_embedder: Embedder
) -> Iterator[Callable[[], Library]]:
    """`add()`: the curator adds an article on motivating reps, which ranks above the
    answer's passages; the running app picks it up as its reloader would (the new library
    swapped in). Returns the new library."""
    content = Path(shutil.copytree(SHIPPED_CONTENT, tmp_path / "content"))
    index_dir = Path(shutil.copytree(lib_data_dir / "index", tmp_path / "index"))
    library = Library.open(content, index_dir, lib_embedder.model_name, embedder=lib_embedder)
    reloader = LibraryReloader(library, content, index_dir, lib_embedder)

    def add() -> Library:
        write_article(content, "motivating-your-reps", MOTIVATION, title=NEW_TITLE)
        assert reloader.check_now().swapped
        slack_app.coach.reloader = reloader
        return reloader.current

    yield add
    slack_app.coach.reloader = None


def texts(page: Call, library: Library) -> list[str]:
    """The passages a message showed (its feedback buttons name them), as their words."""
    by_id = {p.id: p.text for p in library.passages}
    return [by_id[pid] for pid in json.loads(button(page, ACTION_HELPFUL)["value"])["p"]]


def more(slack_app: SlackApp, page: Call, value: str | None = None) -> Call:
    """Click "More like this" on `page` (its own button, or one carrying `value`) and
    return what was posted: valid Block Kit, in the page's thread."""
    slack_app.stub.calls.clear()
    if value is None:
        click_more(slack_app, page)
    else:
        payload = block_action(
            ACTION_MORE,
            value,
            message=answered_message(page),
            response_url=slack_app.stub.response_url("more"),
        )
        assert slack_app.send_action(payload) == 200
    [posted] = slack_app.stub.wait_for("chat.postMessage")
    slack_app.settle()
    assert_valid_message(posted)
    assert posted.params["thread_ts"] == page.params["thread_ts"]
    return posted


def test_a_click_after_an_article_was_added_shows_no_passage_already_shown(
    slack_app: SlackApp, shipped_library: Library, add_article: Callable[[], Library]
) -> None:
    first = answer(slack_app, QUESTION)
    page_1 = texts(first, shipped_library)
    grown = add_article()
    offset_page = [h.passage.text for h in grown.search(QUESTION, 3, offset=3).hits]
    assert set(offset_page) & set(page_1), "the old offset would not have repeated one"

    page_2 = more(slack_app, first)
    assert len(texts(page_2, grown)) == 3
    assert not set(texts(page_2, grown)) & set(page_1)
    assert NEW_TITLE in json.dumps(page_2.blocks)  # what was added, not what was seen


def test_page_three_leaves_out_pages_one_and_two(
    slack_app: SlackApp, shipped_library: Library, add_article: Callable[[], Library]
) -> None:
    """The library grows between pages 2 and 3: page 3 still repeats neither page (had it
    left out only page 2's passages, page 1's best would have come back)."""
    first = answer(slack_app, QUESTION)
    second = more(slack_app, first)
    seen = texts(first, shipped_library) + texts(second, shipped_library)
    assert len(set(seen)) == 6
    grown = add_article()

    third = more(slack_app, second)
    assert len(texts(third, grown)) == 3
    assert not set(texts(third, grown)) & set(seen)


def test_an_old_button_carrying_only_an_offset_still_pages_and_its_chain_goes_on(
    slack_app: SlackApp, shipped_library: Library, add_article: Callable[[], Library]
) -> None:
    """A button posted before buttons carried fingerprints ({"o": 3}) is still in Slack:
    its click shows the passages after the first 3, and the page's own button leaves out
    all six, even after the library changed."""
    first = answer(slack_app, QUESTION)
    old = json.dumps({"q": QUESTION, "c": "", "o": 3, "th": first.params["thread_ts"]})
    second = more(slack_app, first, value=old)
    expected = [h.passage.text for h in shipped_library.search(QUESTION, 3, offset=3).hits]
    assert texts(second, shipped_library) == expected
    seen = texts(first, shipped_library) + expected
    grown = add_article()

    third = more(slack_app, second)
    assert len(texts(third, grown)) == 3
    assert not set(texts(third, grown)) & set(seen)


@pytest.fixture
def ten_a_page(
    slack_stub: SlackStub, shipped_library: Library, tmp_path: Path
) -> Iterator[SlackApp]:
    """An app showing ten passages a page and searching questions of up to 1500 characters
    (so a button's question alone could fill most of its value)."""
    with running_app(
        slack_stub, shipped_library, tmp_path / "data", top_k=10, max_question_chars=1500
    ) as app:
        yield app


def test_the_chain_stops_at_its_cap_and_every_button_value_fits_slack(
    ten_a_page: SlackApp, shipped_library: Library
) -> None:
    """Paging on until the button would carry more than MORE_SHOWN_MAX fingerprints: every
    value stays within Slack's 2000 characters with all of them, no passage comes twice,
    and the last page says why it has no button instead of carrying an overlong value."""
    slack_app = ten_a_page
    question = 'how do I motivate my reps when "quota" is all they hear about? ' * 22
    page = answer(slack_app, question.strip())
    seen = texts(page, shipped_library)
    for _ in range(MORE_SHOWN_MAX // 10 - 1):  # pages 2 and 3: 20, then 30 shown
        value = button(page, ACTION_MORE)["value"]
        assert len(value) <= BUTTON_VALUE_LIMIT
        assert len(json.loads(value)["x"]) == len(seen)
        page = more(slack_app, page)
        seen += texts(page, shipped_library)
    assert len(json.loads(button(page, ACTION_MORE)["value"])["x"]) == MORE_SHOWN_MAX

    last = more(slack_app, page)
    seen += texts(last, shipped_library)
    assert len(seen) == len(set(seen)) == MORE_SHOWN_MAX + 10
    with pytest.raises(AssertionError, match="no more_like_this button"):
        button(last, ACTION_MORE)
    assert CHAIN_FULL in json.dumps(last.blocks)


def test_a_double_click_on_two_replicas_posts_the_next_page_once(
    slack_app: SlackApp, shipped_library: Library, second_replica: Any
) -> None:
    """The same button clicked twice, the clicks reaching two replicas at once: one
    request (keyed by the message and a digest of the passages it leaves out), one post."""
    first = answer(slack_app, QUESTION)
    second = more(slack_app, first)
    shown = [h.passage.fingerprint for h in shipped_library.search(QUESTION, 6).hits]
    with second_replica() as other:
        slack_app.stub.calls.clear()
        payload = block_action(
            ACTION_MORE,
            button(second, ACTION_MORE)["value"],
            message=answered_message(second),
            response_url=slack_app.stub.response_url("more"),
        )
        at_once(SlackApp.send_action, payload, to=[slack_app, other])
        slack_app.stub.wait_for("chat.postMessage")
        slack_app.settle()
        other.settle()
    [third] = slack_app.stub.calls_to("chat.postMessage")
    seen = texts(first, shipped_library) + texts(second, shipped_library)
    assert not set(texts(third, shipped_library)) & set(seen)
    rows = slack_app.slack.answers.rows()
    [click] = [r for r in rows if r["kind"] == "more" and r["ts"] == second.response["ts"]]
    assert click["question_key"] == f"more:CSALES:{second.response['ts']}:{shown_digest(shown)}"
