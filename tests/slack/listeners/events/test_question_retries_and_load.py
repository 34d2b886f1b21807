"""Questions under Slack's retries and errors and under load: each answered once, however
often or concurrently Slack delivers it; a failed post retried; the ack never waits for a
search; questions queued behind busy search lanes searched together."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bot.slack.sign_of_life import STILL_WORKING
from tests.slack.listeners.events.asking import QUESTION
from tests.slack_fixtures import SlackApp, on_both_databases, running_app
from tests.slack_payloads import dm, event_envelope, mention, slack_command_form
from tests.slack_stub import SlackStub
from tests.slack_workspace import BOT_USER


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
    # Slack asked to wait: no "still working" post into the rate limit, the :eyes: instead
    assert [c for c in posts if STILL_WORKING in c.text] == []
    assert [c.params["timestamp"] for c in slack_app.stub.calls_to("reactions.add")] == [
        event["ts"]
    ]


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
