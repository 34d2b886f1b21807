"""One request the app made to the stub Slack, as the stub records it (`Call`): what tests
and bench read back from `SlackStub.calls`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    """One request the app made: a Web API method or a response_url post."""

    method: str  # e.g. "chat.postMessage", or "response_url" for a response_url post
    params: dict[str, Any]  # query + form/JSON body merged; blocks/view decoded from JSON
    headers: dict[str, str]
    token: str | None
    path: str
    raw_body: bytes = b""
    status: int = 200  # what the stub answered
    response: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return str(self.params.get("text") or "")

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.params.get("blocks")
        return blocks if isinstance(blocks, list) else []
