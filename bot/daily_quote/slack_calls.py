"""The daily quote's two Slack calls, each tried once: send the post, or look for it in the
channel history. Failures come back as one SlackFailure sorted by what to do about it."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.daily_quote.message import quote_message
from bot.slack.marked import marked, unmarked_with_text
from bot.slack.messages.plain import plain_text, refused_for_blocks
from bot.store.quote_ledger import LedgerRow, ledger_key
from index.types import Quote

EVENT_TYPE = "daily_quote"  # message metadata marker that recovery looks for
HISTORY_MARGIN = timedelta(minutes=2)  # clock skew allowance when searching the history
HISTORY_PAGES = 5
log = logging.getLogger(__name__)


class FailureKind(StrEnum):
    RATE_LIMITED = "rate_limited"  # nothing was posted; wait retry_after
    SERVER = "server"  # HTTP 5xx: the post may or may not have happened
    CONNECTION = "connection"  # likewise
    API = "api"  # ok:false (e.g. not_in_channel); retrying won't help soon


@dataclass(eq=False)
class SlackFailure(Exception):
    """A Slack call that failed, sorted by what to do about it."""

    kind: FailureKind
    detail: str
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"

    @property
    def ambiguous(self) -> bool:
        return self.kind in (FailureKind.SERVER, FailureKind.CONNECTION)


def classify(exc: Exception) -> SlackFailure:
    """Turn a slack_sdk/urllib exception into a SlackFailure; messages never hold the token."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if status == 429:
            return SlackFailure(
                FailureKind.RATE_LIMITED, "HTTP 429", retry_after_seconds(exc.response.headers)
            )
        if status >= 500:
            return SlackFailure(FailureKind.SERVER, f"HTTP {status} {error or ''}".strip())
        return SlackFailure(FailureKind.API, str(error or f"HTTP {status}"))
    if isinstance(exc, (URLError, OSError, TimeoutError)):
        return SlackFailure(FailureKind.CONNECTION, type(exc).__name__)
    raise exc


def retry_after_seconds(headers: Any) -> float:
    """Seconds from a Retry-After header (Slack sends whole seconds); 1 when absent."""
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            if isinstance(value, list):
                value = value[0] if value else None
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                break
    return 1.0


def single_shot(client: WebClient) -> WebClient:
    """A shallow copy of `client` whose transport never re-sends a request by itself.

    The app's client retries 429/5xx/dropped connections inside slack_sdk. For the daily
    post that could send the message twice (a 5xx after Slack stored it) or keep sleeping
    past our claim's lease, so the ledger-aware poster does all the retrying instead.
    """
    if not getattr(client, "retry_handlers", None):
        return client
    clone = copy.copy(client)
    clone.retry_handlers = []
    return clone


def post_marked(
    client: WebClient, channel: str, message: dict[str, Any], marker: dict[str, Any]
) -> str | None:
    """One chat.postMessage carrying `marker` as message metadata (what crash recovery
    searches the history for); a failure is raised as a SlackFailure. A message Slack
    refuses for its blocks (nothing posted) is sent once more, marked, as plain text."""
    try:
        return _post(client, channel, message, marker)
    except SlackFailure as failure:
        if failure.kind != FailureKind.API or not refused_for_blocks(failure.detail, message):
            raise
        log.warning(
            "Slack refused the post to %s (%s); sending it as plain text", channel, failure.detail
        )
    return _post(client, channel, plain_text(message), marker)


def _post(
    client: WebClient, channel: str, message: dict[str, Any], marker: dict[str, Any]
) -> str | None:
    try:
        response = client.chat_postMessage(
            channel=channel,
            text=message["text"],
            blocks=message.get("blocks"),
            unfurl_links=False,
            unfurl_media=False,
            metadata=marker,
        )
    except Exception as exc:  # classify() re-raises what it doesn't know
        raise classify(exc) from None
    return response.get("ts")


def send_quote(
    client: WebClient, channel: str, day: date, quote: Quote, *, forced: bool
) -> str | None:
    """The day's quote, marked with its ledger key."""
    payload = {"ledger_key": ledger_key(channel, day), "quote_key": quote.key, "forced": forced}
    marker = {"event_type": EVENT_TYPE, "event_payload": payload}
    return post_marked(client, channel, quote_message(quote), marker)


def find_posted(client: WebClient, row: LedgerRow, quote: Quote | None) -> str | None:
    """The ts of this row's message if an earlier attempt did reach the channel.

    The history since the claim is read first; when the post is not there, the channel's
    newest messages are read once more without that bound, matched by the marker alone: a
    message's ts is Slack's clock, and a host whose clock runs ahead of Slack's by more than
    HISTORY_MARGIN (or a stand-in whose ts are not the wall clock) would otherwise miss a
    post that did go out and send the day's quote again."""
    oldest = (row.claimed_at - HISTORY_MARGIN).timestamp()
    # where metadata does not come back: the post's text, or its plain-text re-send's
    texts: set[str] = set()
    if quote is not None:
        message = quote_message(quote)
        texts = {message["text"], plain_text(message)["text"]}
    found = _search_history(client, row, texts, oldest=f"{oldest:.6f}", pages=HISTORY_PAGES)
    if found is None:
        found = _search_history(client, row, set(), oldest=None, pages=1)
    return found


def _search_history(
    client: WebClient, row: LedgerRow, texts: set[str], *, oldest: str | None, pages: int
) -> str | None:
    """The row's message among `pages` pages of the channel history (since `oldest`): the
    one carrying its marker, or a bot message without metadata with one of `texts`."""
    want_key = row.ledger_key
    cursor: str | None = None
    for _page in range(pages):
        options: dict[str, Any] = {"oldest": oldest} if oldest else {}
        try:
            response = client.conversations_history(
                channel=row.channel,
                limit=200,
                include_all_metadata=True,
                cursor=cursor,
                **options,
            )
        except Exception as exc:
            raise classify(exc) from None
        messages = response.get("messages") or []
        found = marked(
            messages,
            EVENT_TYPE,
            lambda payload: payload.get("ledger_key") == want_key and not payload.get("forced"),
        ) or unmarked_with_text(messages, texts)
        if found is not None:
            return found
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor or not response.get("has_more"):
            break
    return None
