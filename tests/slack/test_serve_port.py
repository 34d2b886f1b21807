"""`coach serve` on a PORT another process holds: said at once, before the model loads."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from tests.slack_fixtures import serve_env
from tests.slack_stub import SlackStub


def test_a_port_in_use_is_one_line_naming_port_before_the_model_loads(
    slack_stub: SlackStub, tmp_path: Path
) -> None:
    """It used to load the embedding model and the library first (seconds), logging that it
    was ready, and only then say the port was taken."""
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = serve_env(slack_stub, tmp_path, PORT=str(port))
        coach = Path(sys.executable).with_name("coach")
        result = subprocess.run(
            [str(coach), "serve"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
    assert result.returncode == 1
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines  # no "model loaded; ready" before it
    assert f"cannot listen on PORT={port}: Address already in use" in lines[0]
    assert "Traceback" not in lines[0]
