"""What the `coach` command line tests share: the questions they ask and the callables that
run `coach` (the fixtures `run_coach` and `coach_in_process`)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from click.testing import Result

RunCoach = Callable[..., subprocess.CompletedProcess[str]]
CoachInProcess = Callable[..., Result]

ON_TOPIC = "Are leaders born or made?"
OFF_TOPIC = "What is the capital of Australia?"
CELEBRATE = "How do I celebrate wins with my sales team?"
OUT_OF_SCOPE = "which call-recording tool should we buy?"
