"""Chaos on every way a leader reaches the bot: three real `coach serve` replicas on one
PostgreSQL database (settings from the environment only, as the README starts them), a
recording Slack stand-in that also serves each command's and button's response_url, and
five faults, one phase each:

- `retry`: Slack delivers the same event (or click, command, shortcut) to two replicas,
  the second with X-Slack-Retry-Num;
- `lost reply`: the call that delivers (post, ephemeral, update, views.publish or the
  response_url) is processed by Slack and its response lost (connection reset after it);
- `kill -9`: everything sent to one replica, which is killed right after its acks (the
  calls it makes meanwhile never reach Slack); it is started again afterwards;
- `503 60s` / `429 60s`: Slack's whole Web API and every response_url answer 503 (or 429
  with Retry-After 30) for 60 s, everything asked just after the fault starts.

Each surface is asked once per phase, on a channel (or user, or response_url) of its own,
and counted from what the stand-in Slack processed. Prints the table surface x fault:
how many deliveries (1 = once, 0 = lost, 2 = doubled) and the seconds from the fault's end
(the request, for the one-shot faults) to the first delivery; then every payload Slack
would refuse and any token or response_url in the replicas' logs. Exit status 1 if anything
is lost, doubled or invalid.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/chaos_surfaces.py [--phases retry lost ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chaos import ROOT, replica_env  # noqa: E402  (puts the checkout on sys.path)

from bot.slack.messages.values import ACTION_ANOTHER_TIP, ACTION_HELPFUL, ACTION_MORE
from bot.slack.sign_of_life import STILL_WORKING
from tests.slack.surface_payloads import message_action, panel_message, thread_started
from tests.slack.test_replicas import Replica, wait_until
from tests.slack_checks import assert_valid_message, button
from tests.slack_payloads import block_action, dm, event_envelope, mention, new_ts
from tests.slack_payloads import slack_command_form as command_form
from tests.slack_stub import Call, SlackStub, missing_required
from tests.slack_workspace import BOT_TOKEN, BOT_USER, SIGNING_SECRET

QUESTION = "how do I motivate my reps?"
FOLLOW_UP = "what about remote reps?"
DELIVERING = {"chat.postMessage", "chat.postEphemeral", "chat.update", "views.publish"}
PHASES = ("retry", "lost", "kill", "503", "429")
FAULT_NAMES = {"retry": "retry", "lost": "lost reply", "kill": "kill -9"}


@dataclass
class Probe:
    """One surface asked once in one phase: what counts as its delivery."""

    surface: str
    counts: Callable[[Call], bool]  # a processed call that delivered it
    kept: Callable[[], bool] | None = None  # what the database must keep (a vote), if any
    sent: float = field(default_factory=time.monotonic)


class Bench:
    """The replicas, the stand-in Slack and the probes of each phase."""

    def __init__(self, stub: SlackStub, env: dict[str, str]) -> None:
        self.stub = stub
        self.env = env
        self.logs = Path(tempfile.mkdtemp(prefix="chaos-surfaces-"))
        self.replicas = [self.start(i) for i in range(3)]
        wait_until(lambda: all(r.healthy() for r in self.replicas), 600, "three replicas")
        self.answer = self.setup_answer()
        self.tip_value = self.setup_tip()

    def start(self, i: int) -> Replica:
        return Replica(self.env, self.logs / f"replica-{i}-{time.monotonic():.0f}.log")

    # ---- what the surfaces need: a real answer's buttons, a real tip's ----------------
    def setup_answer(self) -> dict[str, Any]:
        event = mention(f"<@{BOT_USER}> {QUESTION}", channel="CSETUP")
        assert self.replicas[0].send(event_envelope(event)) == 200
        post = self.stub.wait_for("chat.postMessage", 1, 60)[-1]
        return {**post.params, "ts": post.response["ts"], "thread_ts": event["ts"]}

    def setup_tip(self) -> str:
        form = command_form("coaching", self.stub.response_url("setup"))
        assert self.replicas[0].command(form) == 200
        tip = self.stub.wait_for("response_url", 1, 60)[-1]
        return str(button(tip, ACTION_ANOTHER_TIP)["value"])

    # ---- the surfaces: each sends its request(s) to replica `to` ----------------------
    def ask(
        self,
        surface: str,
        tag: str,
        to: int,
        again_to: int | None = None,
        fault: Callable[[Probe], None] | None = None,
    ) -> Probe:
        """Ask `surface` once (tag makes its channel, user and response_url its own); with
        `again_to`, the same request also goes to that replica as Slack's retry; `fault` is
        set up for the probe before anything is sent."""
        code = f"{tag}X{SURFACES.index(surface):02d}"  # its own channel, user, response_url
        channel, user = f"D{code}", f"U{code}"
        in_channel: Callable[[Call], bool] = lambda c: c.params.get("channel") == channel  # noqa: E731
        sends: list[Callable[[Replica, int | None], int]] = []
        if surface == "dm":
            body = event_envelope(dm(QUESTION, channel=channel, user=user))
            sends.append(lambda r, n: r.send(body, n))
            counts = in_channel
        elif surface == "dm_thread":
            root = new_ts()
            self.stub.seed_message(channel, root, QUESTION, user=user)
            body = event_envelope(dm(FOLLOW_UP, channel=channel, user=user, thread_ts=root))
            sends.append(lambda r, n: r.send(body, n))
            counts = in_channel
        elif surface == "panel_start":
            body = event_envelope(thread_started(channel))
            sends.append(lambda r, n: r.send(body, n))
            counts = lambda c: in_channel(c) and c.method == "chat.postMessage"  # noqa: E731
        elif surface == "panel_ask":
            root = new_ts()
            seeded = self.stub.seed_message(channel, root, "New chat", user="ULEADER")
            seeded["subtype"] = "assistant_app_thread"
            body = event_envelope(panel_message(QUESTION, root, channel))
            sends.append(lambda r, n: r.send(body, n))
            counts = lambda c: in_channel(c) and c.method == "chat.postMessage"  # noqa: E731
        elif surface in ("tip", "another_tip", "coach_me", "more", "feedback"):
            url = self.stub.response_url(f"{tag}-{surface}")
            path = url.split("/", 3)[3]
            by_url: Callable[[Call], bool] = lambda c: c.path == "/" + path  # noqa: E731
            if surface == "tip":
                form = command_form("coaching", url, user=user)
                sends.append(lambda r, n: r.command(form))
                counts = by_url
            elif surface == "another_tip":
                tip = {"type": "message", "ts": new_ts(), "text": "tip"}
                click = block_action(
                    ACTION_ANOTHER_TIP,
                    self.tip_value,
                    user=user,
                    channel=channel,
                    message=tip,
                    response_url=url,
                    ephemeral=True,
                )
                sends.append(lambda r, n: r.click(click))
                counts = by_url
            elif surface == "coach_me":
                channel = "C" + channel[1:]
                shortcut = message_action(QUESTION, channel=channel, user=user, response_url=url)
                sends.append(lambda r, n: r.click(shortcut))
                dm_channel = "D" + user[1:]
                counts = lambda c: c.params.get("channel") in (channel, dm_channel)  # noqa: E731
            else:
                channel = "C" + channel[1:]
                message = self.seed_answer(channel)
                action = ACTION_MORE if surface == "more" else ACTION_HELPFUL
                click = block_action(
                    action,
                    str(button(_as_call(message), action)["value"]),
                    user=user,
                    channel=channel,
                    message=message,
                    response_url=url,
                )
                sends.append(lambda r, n: r.click(click))
                counts = lambda c: c.params.get("channel") == channel or by_url(c)  # noqa: E731
        elif surface == "home":
            body = event_envelope(
                {
                    "type": "app_home_opened",
                    "user": user,
                    "channel": channel,
                    "tab": "home",
                    "event_ts": new_ts(),
                }
            )
            sends.append(lambda r, n: r.send(body, n))
            counts = lambda c: c.method == "views.publish" and c.params.get("user_id") == user  # noqa: E731
        elif surface == "quote":
            channel = "C" + channel[1:]
            sends.append(lambda r, n: self.schedule_quote(channel))
            counts = lambda c: in_channel(c) and not c.params.get("thread_ts")  # noqa: E731
        else:
            raise ValueError(surface)
        probe = Probe(surface, counts)
        if surface == "feedback":
            probe.kept = lambda: self.votes(message["ts"]) == 1
        if fault is not None:
            fault(probe)
        for send in sends:
            send(self.replicas[to], None)
            if again_to is not None:
                send(self.replicas[again_to], 1)
        return probe

    def seed_answer(self, channel: str) -> dict[str, Any]:
        """The setup answer, as if posted in `channel`: its question, then it in the thread."""
        question = new_ts()
        self.stub.seed_message(channel, question, f"<@{BOT_USER}> {QUESTION}")
        ts = self.stub.next_ts()
        message = {
            "type": "message",
            "ts": ts,
            "thread_ts": question,
            "text": self.answer["text"],
            "blocks": self.answer["blocks"],
            "user": BOT_USER,
            "bot_id": self.stub.bot_id,
        }
        if self.answer.get("metadata"):
            message["metadata"] = self.answer["metadata"]
        with self.stub._cond:
            self.stub.messages.setdefault(channel, []).append(dict(message))
        return message

    def votes(self, message_ts: str) -> int:
        """Votes the database keeps on the answer `message_ts`."""
        from sqlalchemy import create_engine, func, select

        from bot.store.tables import feedback

        engine = create_engine(
            self.env["DATABASE_URL"].replace("postgresql:", "postgresql+psycopg:", 1)
        )
        try:
            with engine.connect() as conn:
                count = select(func.count()).where(feedback.c.message_ts == message_ts)
                return int(conn.execute(count.select_from(feedback)).scalar_one())
        finally:
            engine.dispose()

    def schedule_quote(self, channel: str) -> int:
        """A quote schedule for `channel` due a minute ago (picked up within a tick)."""
        due = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%H:%M")
        coach = Path(sys.executable).with_name("coach")
        subprocess.run(
            [
                str(coach),
                "quote",
                "schedule",
                "add",
                channel,
                "--time",
                due,
                "--tz",
                "UTC",
                "--days",
                "mon-sun",
            ],
            env=self.env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return 200

    # ---- counting --------------------------------------------------------------------
    def deliveries(self, probe: Probe) -> list[Call]:
        """Calls Slack processed (ok, even if the reply was lost) that delivered `probe`."""
        return [
            c
            for c in list(self.stub.calls)
            if delivering(c)
            and c.response.get("ok")
            and c.text != STILL_WORKING
            and probe.counts(c)
        ]

    def wait(self, probes: list[Probe], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(self.deliveries(p) for p in probes):
            time.sleep(0.5)
        time.sleep(8)  # a second delivery of anything would show up now


def replaces(call: Call) -> bool:
    """A call that replaces what the person sees (a message updated, the Home tab
    published, a response_url's replace_original) rather than adding a message: doing it
    again with the same content shows nothing new."""
    replace = str(call.params.get("replace_original")).lower() in ("true", "1")
    return call.method in ("chat.update", "views.publish") or replace


def shown(calls: list[Call]) -> int:
    """How many times the person sees it: each new message, or one for any replacements."""
    new = [c for c in calls if not replaces(c)]
    return len(new) or (1 if calls else 0)


SURFACES = (
    "dm",
    "dm_thread",
    "panel_start",
    "panel_ask",
    "tip",
    "another_tip",
    "more",
    "feedback",
    "coach_me",
    "home",
    "quote",
)


def delivering(call: Call) -> bool:
    return call.method in DELIVERING or call.method == "response_url"


def _as_call(message: dict[str, Any]) -> Call:
    return Call("chat.postMessage", {"blocks": message["blocks"]}, {}, None, "")


def run_phase(bench: Bench, phase: str) -> tuple[list[Probe], float]:
    """Ask every surface under `phase`'s fault; the probes and when the fault ended."""
    stub, tag = bench.stub, phase.upper()[:4].replace(" ", "")
    probes: list[Probe] = []
    if phase == "retry":
        for i, surface in enumerate(SURFACES):
            if surface != "quote":
                probes.append(bench.ask(surface, tag, i % 3, (i + 1) % 3))
        return probes, time.monotonic()
    if phase == "lost":

        def lose_first_reply(probe: Probe) -> None:
            stub.fail("*", drop_after=True, where=lambda c: delivering(c) and probe.counts(c))

        for i, surface in enumerate(SURFACES):
            probes.append(bench.ask(surface, tag, i % 3, fault=lose_first_reply))
        return probes, time.monotonic()
    if phase == "kill":
        stub.outage(120, hang=3.0)  # what the victim sends before it dies never arrives
        threads = []
        for surface in SURFACES:
            if surface == "quote":
                continue
            t = threading.Thread(target=lambda s=surface: probes.append(bench.ask(s, tag, 0, None)))
            threads.append(t)
            t.start()
        for t in threads:
            t.join()
        bench.replicas[0].process.kill()
        bench.replicas[0].process.wait(10)
        stub.heal()
        ended = time.monotonic()
        bench.replicas[0] = bench.start(0)
        return probes, ended
    status = int(phase)
    stub.outage(60, status=status, retry_after=30 if status == 429 else None)
    ended = time.monotonic() + 60
    for i, surface in enumerate(SURFACES):
        probes.append(bench.ask(surface, tag, i % 3, None))
    return probes, ended


def invalid_payloads(stub: SlackStub) -> list[str]:
    """Every payload Slack would refuse (Block Kit, required arguments, pings)."""
    bad = []
    for call in list(stub.calls):
        try:
            if call.method in (
                "chat.postMessage",
                "chat.postEphemeral",
                "chat.update",
                "response_url",
            ):
                assert_valid_message(call)
            elif call.method == "views.publish":
                from slack_sdk.models.views import View

                assert missing_required(call) == [], missing_required(call)
                View(**call.params["view"]).to_dict()
        except Exception as err:  # noqa: BLE001 - each refusal is reported
            bad.append(f"{call.method}: {err!s:.200}")
    return bad


def secrets_in_logs(logs: Path) -> list[str]:
    found = []
    for log in sorted(logs.glob("*.log")):
        text = log.read_text(errors="replace")
        for secret in (BOT_TOKEN, SIGNING_SECRET, "/response/"):
            if secret in text:
                found.append(f"{log.name}: {secret}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phases", nargs="+", default=list(PHASES), choices=PHASES)
    args = parser.parse_args()
    from tests.pg_fixtures import start_postgres, stop_postgres

    server = start_postgres()
    stub = SlackStub(bot_user_id=BOT_USER, latency=0.03).start()
    env = replica_env(stub, server.new_database(), "chaos-surfaces-")
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET)
    bench = Bench(stub, env)
    table: dict[str, dict[str, str]] = {}
    ok = True
    try:
        for phase in args.phases:
            probes, ended = run_phase(bench, phase)
            bench.wait(probes, max(0.0, ended - time.monotonic()) + 150)
            for probe in probes:
                got = bench.deliveries(probe)
                late = min(c.at for c in got) - ended if got else float("nan")
                cell = f"{shown(got)}" + (f" / {max(0.0, late):.0f}s" if got else "")
                if len(got) > shown(got):
                    cell += f" (+{len(got) - shown(got)} same)"
                if probe.kept is not None and not probe.kept():
                    cell += " vote lost"
                    ok = False
                table.setdefault(probe.surface, {})[phase] = cell
                ok = ok and shown(got) == 1
                if shown(got) != 1:
                    detail = [(c.method, c.status, c.text[:50]) for c in got]
                    print(f"  {phase} {probe.surface}: {detail}", flush=True)
            print(phase, {p.surface: table[p.surface][phase] for p in probes}, flush=True)
    finally:
        for replica in bench.replicas:
            replica.stop()
        stub.stop()
        stop_postgres(server)
    names = [FAULT_NAMES.get(p, f"{p} 60s") for p in args.phases]
    print("\n| surface | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for surface in SURFACES:
        row = table.get(surface, {})
        print(f"| {surface} | " + " | ".join(row.get(p, "n/a") for p in args.phases) + " |")
    print("\ncells: deliveries (1 = once) / seconds from the fault's end to the first")
    bad = invalid_payloads(stub)
    print(f"payloads Slack would refuse: {len(bad)}", *bad[:10], sep="\n  ")
    leaked = secrets_in_logs(bench.logs)
    print(f"tokens or response_urls in logs: {len(leaked)}", *leaked, sep="\n  ")
    print(f"replica logs: {bench.logs}")
    return 0 if ok and not bad and not leaked else 1


if __name__ == "__main__":
    threading.excepthook = lambda a: None  # a killed replica's broken sockets are expected
    raise SystemExit(main())
