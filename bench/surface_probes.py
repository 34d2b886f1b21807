"""The surfaces bench/chaos_surfaces.py asks: each request as Slack sends it (a DM, a DM
thread, the assistant panel, /leadership-tip and Another tip with their own response_url,
More like this, a vote, Coach me on this, the Home tab, a quote schedule falling due) to a
replica of its choice, and what in the stand-in Slack's record counts as its delivery."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chaos import ROOT  # noqa: E402  (puts the checkout on sys.path)

from bot.slack.messages.values import ACTION_ANOTHER_TIP, ACTION_HELPFUL, ACTION_MORE
from bot.slack.sign_of_life import STILL_WORKING
from tests.slack.replicas import Replica, wait_until
from tests.slack.surface_payloads import message_action, panel_message, thread_started
from tests.slack_checks import button
from tests.slack_payloads import block_action, dm, event_envelope, mention, new_ts
from tests.slack_payloads import slack_command_form as command_form
from tests.slack_stub import Call, SlackStub
from tests.slack_workspace import BOT_USER

QUESTION = "how do I motivate my reps?"
FOLLOW_UP = "what about remote reps?"
DELIVERING = {"chat.postMessage", "chat.postEphemeral", "chat.update", "views.publish"}


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
