"""The console (`coach console`, `make run` without tokens) as a person at a terminal meets
it, run in a fresh process with piped input."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable

from index.library import Library

RunCoach = Callable[..., subprocess.CompletedProcess[str]]


def test_the_console_answers_greetings_and_thanks_as_slack_does(
    shipped_library: Library, run_coach: RunCoach
) -> None:
    """Typed in the console, "hi" and "thanks!" were searched ("I couldn't find anything in
    the coaching library ..."), while the Slack app answers a greeting with its help and a
    thanks with "you're welcome"."""
    script = ["hi", "Hello there!", "\N{WAVING HAND SIGN}", "thanks!", "Thank you so much"]
    proc = run_coach("console", stdin="\n".join(script) + "\n")
    assert proc.returncode == 0, proc.stderr
    blocks = re.split(r"^> ", proc.stdout, flags=re.M)[1:]
    assert [b.splitlines()[0] for b in blocks] == script
    *greetings, thanks, thank_you = blocks
    for reply in greetings:
        assert "/leadership-tip" in reply and "/quote" in reply  # the help
    for reply in (thanks, thank_you):
        assert "You're welcome" in reply
    assert "couldn't find anything" not in proc.stdout
