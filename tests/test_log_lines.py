"""What an admin reads in the log during an outage: one line per problem, not a flood."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy.exc import OperationalError

from bot.log_safety import OncePerProblem, RedactTokens

PSYCOPG_REFUSED = (
    'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
    "Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?"
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def logged(clock: Clock) -> Iterator[io.StringIO]:
    """A logger whose handler carries the filters `coach serve` installs, writing to text."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(OncePerProblem(every=600, quiet=300, clock=clock))
    handler.addFilter(RedactTokens())
    logger = logging.getLogger("bot.test_outage")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def claim_failed(sql_param: str = "2026-11-26 22:52:37") -> OperationalError:
    """What the answer workers' poll raises while PostgreSQL is down, as SQLAlchemy words it."""
    return OperationalError(
        "UPDATE answer_queue SET lease_until=%(lease_until)s",
        {"lease_until": sql_param},
        Exception(PSYCOPG_REFUSED),
    )


def lines(out: io.StringIO) -> list[str]:
    return [line for line in out.getvalue().splitlines() if line.strip()]


def test_a_minute_of_failed_polls_is_one_line(logged: io.StringIO, clock: Clock) -> None:
    log = logging.getLogger("bot.test_outage")
    for second in range(60):  # each poll's error differs (its parameters hold the time)
        clock.now += 1
        log.warning("could not claim questions to answer: %s", claim_failed(f"22:52:{second}"))
    written = lines(logged)
    assert len(written) == 1
    assert "could not claim questions to answer" in written[0]
    assert "Connection refused" in written[0] and "Is the server running" in written[0]
    assert "[SQL:" not in written[0] and "lease_until" not in written[0]


def test_a_failing_loop_with_a_traceback_is_one_line(logged: io.StringIO, clock: Clock) -> None:
    log = logging.getLogger("bot.test_outage")
    for _ in range(3):  # the daily-quote tick every 30 s
        clock.now += 30
        try:
            raise claim_failed()
        except OperationalError:
            log.exception("%s tick failed; trying again in %ss", "daily-quote", 30)
    written = lines(logged)
    assert written == [
        "ERROR bot.test_outage: daily-quote tick failed; trying again in 30s (OperationalError: "
        '(builtins.Exception) connection failed: connection to server at "127.0.0.1", port '
        "5432 failed: Connection refused Is the server running on that host and accepting "
        "TCP/IP connections?)"
    ]


def test_other_problems_and_ordinary_lines_still_show(logged: io.StringIO, clock: Clock) -> None:
    log = logging.getLogger("bot.test_outage")
    for _ in range(5):
        log.warning("could not claim questions to answer: %s", claim_failed())
        log.warning("gave up on %s after %s minutes", "C1:1.1", 15)
        log.info("answered mention %s in %s", "1.1", "C1")
    log.warning("gave up on %s after %s minutes", "C1:2.2", 15)  # another question: news
    written = lines(logged)
    assert sum("could not claim" in line for line in written) == 1
    assert sum("gave up on C1:1.1" in line for line in written) == 1
    assert sum("gave up on C1:2.2" in line for line in written) == 1
    assert sum("answered mention" in line for line in written) == 5


def test_a_long_outage_says_it_goes_on_and_a_later_one_is_new(
    logged: io.StringIO, clock: Clock
) -> None:
    log = logging.getLogger("bot.test_outage")
    for _ in range(700):  # over 11 minutes of failed polls, one a second
        clock.now += 1
        log.warning("could not claim questions to answer: %s", claim_failed())
    clock.now += 3600  # the database came back; an hour later it goes away again
    log.warning("could not claim questions to answer: %s", claim_failed())
    written = lines(logged)
    assert len(written) == 3
    assert "(and 599 more times in the last 600 s)" in written[1]
    assert "more times" not in written[2]


def test_a_long_running_replica_does_not_keep_every_problem_it_ever_logged(
    logged: io.StringIO, clock: Clock
) -> None:
    """One warning per question (each with its own ts) for months must not grow forever."""
    log = logging.getLogger("bot.test_outage")
    once = next(f for f in log.handlers[0].filters if isinstance(f, OncePerProblem))
    once.remembered = 50
    for i in range(500):
        clock.now += 60  # a minute apart: each has gone quiet before the next ones
        log.warning("could not post to %s: %s", f"C{i}", "not_in_channel")
    assert len(once._seen) <= 50
    assert logged.getvalue().count("could not post") == 500  # each still logged once
    for _ in range(3):  # and a problem that repeats is still held back
        log.warning("could not post to %s: %s", "CSAME", "not_in_channel")
    assert logged.getvalue().count("CSAME") == 1


def test_a_response_url_never_reaches_the_log(logged: io.StringIO) -> None:
    """A response_url posts as the app for 30 minutes: whatever logs one, it is hidden."""
    url = "https://hooks.slack.com/commands/T0STUB/1234567890/AbCdEfGhIjKlMnOp"
    log = logging.getLogger("bot.test_outage")
    log.warning("could not post to %s", url)
    log.info(
        "body: command=%2Fleadership-tip&response_url="
        "https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT0STUB%2F1%2FAbCd&text=x"
    )
    out = logged.getvalue()
    assert "AbCd" not in out and "1234567890" not in out
    assert out.count("hooks.slack.com/***") == 2
