"""Slack's published shapes, which every Slack test checks its payloads against: where they
live (../shared/slack beside the checkout; missing is an error, never a skipped check), and
the required arguments of each Web API method a recorded call must have sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.slack_calls import Call

# Slack's published shapes live in ../shared/slack beside the checkout (not in the repo).
SHARED_SLACK = Path(__file__).resolve().parents[1].parent / "shared" / "slack"
SPEC_PATH = SHARED_SLACK / "slack_web_openapi_v2_without_examples.json"


def shared_file(path: Path) -> Path:
    """`path` under ../shared/slack; missing is an error, never a check silently skipped."""
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the tests check every Slack payload against the files in "
            f"{SHARED_SLACK} (../shared/slack next to the checkout). Put them there."
        )
    return path


_SPEC_CACHE: dict[str, list[str]] | None = None


def required_params(method: str) -> list[str] | None:
    """Required parameters of a Web API method per Slack's OpenAPI spec (token excluded).

    None when the spec does not know the method; a missing spec file raises.
    """
    global _SPEC_CACHE
    if _SPEC_CACHE is None:
        spec = json.loads(shared_file(SPEC_PATH).read_text())
        cache: dict[str, list[str]] = {}
        for path, ops in spec.get("paths", {}).items():
            names: list[str] = []
            for op in ops.values():
                for prm in op.get("parameters", []):
                    if prm.get("required") and prm.get("name") != "token":
                        names.append(prm["name"])
            cache[path.lstrip("/")] = names
        _SPEC_CACHE = cache
    return _SPEC_CACHE.get(method)


# Methods newer than the 2020 spec: required arguments per Slack's current method reference
# (docs.slack.dev/reference/methods/<method>), so their calls are checked like the others.
NEWER_REQUIRED: dict[str, list[str]] = {
    "assistant.threads.setStatus": ["channel_id", "thread_ts", "status"],
    "assistant.threads.setSuggestedPrompts": ["channel_id", "thread_ts", "prompts"],
    "assistant.threads.setTitle": ["channel_id", "thread_ts", "title"],
}


def missing_required(call: Call) -> list[str]:
    """Required parameters (per the spec, or Slack's current docs for newer methods) that
    `call` did not send."""
    needed = required_params(call.method) or NEWER_REQUIRED.get(call.method, [])
    return [name for name in needed if call.params.get(name) in (None, "")]
