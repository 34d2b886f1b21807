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
import threading
import time
from pathlib import Path

from chaos import replica_env  # noqa: E402  (puts the checkout on sys.path)
from surface_probes import SURFACES, Bench, Probe, delivering, shown

from tests.slack_checks import assert_valid_message
from tests.slack_stub import SlackStub, missing_required
from tests.slack_workspace import BOT_TOKEN, BOT_USER, SIGNING_SECRET

PHASES = ("retry", "lost", "kill", "503", "429")
FAULT_NAMES = {"retry": "retry", "lost": "lost reply", "kill": "kill -9"}


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
