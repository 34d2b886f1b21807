"""Running the app: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on PORT.

`serve(settings)` checks the token with auth.test (one clear line and exit code 1 when Slack
rejects it), loads the library once, and serves until SIGINT/SIGTERM, with crash recovery
and the daily-quote scheduler and the content-gaps thread (retention, weekly report) beside it.
"""

from __future__ import annotations

import gc
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.coach import search_threads
from bot.daily_quote.reflection import reflections_from
from bot.daily_quote.runner import SchedulerHandle, start_scheduler
from bot.gaps.runner import GapsRunner
from bot.gaps.weekly import WeeklyReporter
from bot.log_safety import install_log_filters
from bot.settings import Settings
from bot.slack.answering import purge_old
from bot.slack.app import build_app
from bot.slack.client import slack_error
from bot.slack.http import EVENTS_PATH, PortUnavailable, make_http_server, reserve_port
from bot.slack.runtime import SlackRuntime
from bot.slack.startup_waits import (
    StopRequested,
    check_token,
    install_signal_handlers,
    open_database,
    stop_on_signals,
    wait_for_stop,
)
from index.errors import CoachError
from index.library import Library
from index.reload import LibraryReloader

log = logging.getLogger(__name__)

HOUSEKEEPING_INTERVAL_S = 3600.0
SHUTDOWN_GRACE_S = 10.0


def _configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    else:
        root.setLevel(level)
    if level != "DEBUG":  # "Context impl SQLiteImpl." and "Will assume non-transactional
        # DDL." at every start, read as problems; bot.store.migrate says what changed
        logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    install_log_filters()


def serve(
    settings: Settings,
    *,
    stop: threading.Event | None = None,
    on_ready: Callable[[dict[str, Any]], None] | None = None,
    library: Library | None = None,
    host: str = "0.0.0.0",
) -> int:
    """Run until stopped; 0 on a clean stop, 1 on a configuration problem (one log line)."""
    _configure_logging(settings.log_level)
    socket_mode = bool(settings.slack_app_token)
    stop = stop or threading.Event()
    with stop_on_signals(stop):
        problem = settings.slack_problem or check_token(settings, stop)
    if problem:
        log.error(problem)
        return 1
    if stop.is_set():
        log.info("stopped while waiting for Slack to answer auth.test")
        return 0
    try:  # before the model loads: a PORT in use is said at once, not seconds later
        listener = None if socket_mode else reserve_port(host, settings.port)
    except PortUnavailable as err:
        log.error("%s", err)
        return 1

    try:
        # before the model loads and the index builds: a wrong DATABASE_URL is said at once
        with stop_on_signals(stop):
            engine = open_database(settings, stop)
        if engine is None:  # stopped while waiting for it: a clean stop, as once serving
            if listener is not None:
                listener.close()
            return 0
        with stop_on_signals(stop, interrupt=True):
            library, app, slack, reloader = _load(settings, library, engine, socket_mode)
        log.info("model loaded; ready")
    except StopRequested:
        log.info("stopped while loading the library")
        if listener is not None:
            listener.close()
        return 0
    except Exception as err:
        # an error a person can fix says what to fix; anything else also says what it is
        shown = str(err) if isinstance(err, CoachError) else f"{type(err).__name__}: {err}"
        log.error("could not start: %s", shown)
        if listener is not None:
            listener.close()
        return 1

    install_signal_handlers(stop)
    _start_housekeeping(slack, stop)
    scheduler = _start_scheduler(settings, slack, engine)
    if reloader is not None:
        # a new library's suggestions are found in the background, as at start-up
        reloader.on_swap = lambda _library: slack.submit(slack.coach.suggestions)
        reloader.start()
    gaps = _start_gaps(settings, slack, engine)
    code = 1
    try:
        if socket_mode:
            code = _run_socket_mode(app, settings, stop, on_ready)
        else:
            assert listener is not None
            code = _run_http(app, slack, settings, stop, on_ready, host, listener)
        return code
    finally:
        stop.set()  # the recovery loop ends too, even when serving failed to start
        if reloader is not None:
            reloader.stop()
        if scheduler is not None:
            try:
                scheduler.stop()
            except Exception as err:
                log.warning("stopping the daily quote scheduler failed: %s", err)
        gaps.stop()
        stop_work(slack)
        if code == 0:  # said once the answers under way were posted, not before
            log.info("stopped")


def _load(
    settings: Settings, library: Library | None, engine: Engine, socket_mode: bool
) -> tuple[Library, App, SlackRuntime, LibraryReloader | None]:
    """The library (its index built if need be), the app on it, and the model warmed up.

    The answer workers start with the app; stopped here (StopRequested), they finish what
    they hold and stop before it is raised on."""
    if library is None:
        from index.library import Library

        library = Library.open(
            settings.content_dir,
            settings.index_dir,
            settings.embedding_model,
            backend=settings.embedding_backend,
        )
    reloader = _reloader(settings, library)
    app, slack = build_app(settings, library, engine, socket_mode=socket_mode, reloader=reloader)
    try:
        # each model pass on one thread (split across threads, a pass costs more CPU), up to
        # SEARCH_THREADS passes of a batch side by side
        library.searcher.embedder.use_threads(1)
        library.searcher.embedder.run_passes_side_by_side(search_threads(settings))
        slack.coach.search("warm up")  # load the model now, not on the first question
        library.searcher.warm()  # the vocabulary's words, the out-of-scope examples
    except StopRequested:
        stop_work(slack)
        raise
    # what is loaded by now (the model's runtime, the library: millions of objects) lives
    # as long as the process: kept out of the collector's way, so a full collection in a
    # burst no longer stops every thread, acks included, for 0.2-0.9 s (bench/burst.py)
    gc.freeze()
    return library, app, slack, reloader


def stop_work(slack: SlackRuntime, grace: float = SHUTDOWN_GRACE_S) -> None:
    """This replica's part of a stop, within `grace` seconds: it claims no more questions,
    finishes (or hands back) those it claimed, says so in one line, and leaves the rest of
    the shared queue to the other replicas; then its listeners' own work, in what is left."""
    deadline = time.monotonic() + grace
    if slack.answer_workers is not None:
        handover = slack.answer_workers.stop(grace=grace)
        if handover.claimed:
            log.info(
                "stopping: this replica's claimed questions: %d answered, %d handed back to "
                "the other replicas%s",
                handover.settled,
                handover.handed_back + handover.left_to_lease,
                f" ({handover.left_to_lease} when the lease runs out, within "
                f"{slack.settings.answer_lease_seconds:.0f}s)"
                if handover.left_to_lease
                else "",
            )
        else:
            log.info("stopping: no question claimed here, none handed back")
    if not slack.workers.wait_idle(max(0.0, deadline - time.monotonic())):
        log.warning("stopping with a request's work unfinished")
    slack.shutdown(wait=False)


def _start_housekeeping(slack: SlackRuntime, stop: threading.Event) -> None:
    """Now and every hour: forget handled-event keys older than Slack would retry. (A
    question left unanswered by a crash needs nothing here: its lease runs out and any
    replica's answer workers take it over.)"""

    def loop() -> None:
        while not stop.is_set():
            slack.submit(purge_old, slack)
            stop.wait(HOUSEKEEPING_INTERVAL_S)

    threading.Thread(target=loop, name="housekeeping", daemon=True).start()


def _reloader(settings: Settings, library: Library) -> LibraryReloader | None:
    """Watches CONTENT_DIR every RELOAD_SECONDS and swaps in the rebuilt library (None: off)."""
    if settings.reload_seconds <= 0:
        return None
    return LibraryReloader(
        library,
        settings.content_dir,
        settings.index_dir,
        library.searcher.embedder,
        interval=settings.reload_seconds,
        base_model=settings.embedding_model,
    )


def _start_scheduler(
    settings: Settings, slack: SlackRuntime, engine: Engine
) -> SchedulerHandle | None:
    """Every scheduled channel's quote (QUOTE_CHANNEL and `coach quote schedule add`); it
    runs even with none yet, so a schedule added later is picked up. The quotes and the
    reflection questions come from whichever library is current (hot reload)."""
    try:
        return start_scheduler(
            settings,
            slack.coach,
            slack.client,
            engine,
            reflections=reflections_from(lambda: slack.coach.library),
        )
    except Exception as err:
        log.error("daily quote scheduler did not start: %s", err)
        return None


def _start_gaps(settings: Settings, slack: SlackRuntime, engine: Engine) -> GapsRunner:
    """The retention sweep (hourly) and, with REPORT_CHANNEL, the Monday content-gaps post."""
    weekly = None
    if settings.report_channel:
        weekly = WeeklyReporter(
            settings, engine, slack.client, lambda days: slack.gaps.report(days)
        )
        log.info(
            "Content-gaps report: %s on Mondays at %s %s.",
            settings.report_channel,
            settings.quote_time,
            settings.quote_timezone,
        )
    return GapsRunner(slack.gaps, weekly).start()


def health(slack: SlackRuntime) -> dict[str, Any]:
    """What /healthz reports: ok only while the database answers (questions are stored
    there before Slack is acked), how many passages, how much work is queued."""
    report: dict[str, Any] = {"ok": True}
    problem = slack.database.problem()
    if problem:
        report = {"ok": False, "error": problem}
    return {**report, "passages": len(slack.coach.library.passages), "pending": slack.pending}


def _run_http(
    app: App,
    slack: SlackRuntime,
    settings: Settings,
    stop: threading.Event,
    on_ready: Callable[[dict[str, Any]], None] | None,
    host: str,
    listener: socket.socket,
) -> int:
    server = make_http_server(
        app,
        host,
        settings.port,
        health=lambda: health(slack),
        signing_secret=settings.slack_signing_secret,
        sock=listener,
    )
    thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    thread.start()
    log.info("Leadership Coach listening on http://%s:%s%s", host, server.port, EVENTS_PATH)
    if on_ready:
        on_ready({"mode": "http", "port": server.port, "app": app})
    try:
        wait_for_stop(stop)
    finally:
        server.shutdown()
    return 0


def _run_socket_mode(
    app: App,
    settings: Settings,
    stop: threading.Event,
    on_ready: Callable[[dict[str, Any]], None] | None,
) -> int:
    from bot.slack.socket_mode import GuardedSocketModeHandler, open_socket_url

    handler = GuardedSocketModeHandler(app, settings.slack_app_token)
    try:
        if not open_socket_url(handler, settings.slack_app_token, stop):
            handler.close()
            return 0
        handler.connect()
    except SlackApiError as err:
        log.error(
            "Slack rejected SLACK_APP_TOKEN (apps.connections.open said %s)", slack_error(err)
        )
        return 1
    except Exception as err:
        log.error("could not open a Socket Mode connection: %s: %s", type(err).__name__, err)
        return 1
    log.info("Leadership Coach connected to Slack over Socket Mode")
    if on_ready:
        on_ready({"mode": "socket", "app": app, "handler": handler})
    try:
        wait_for_stop(stop)
    finally:
        handler.close()
    return 0
