"""The "Coach me on this" shortcut: coaching on a message, privately, for whoever asked.

The answer goes to the asker alone: an ephemeral message in the channel, or a DM when the
bot cannot post there (not a member, a private channel, a DM between two people). "Share in
thread" then posts the same passages publicly in the message's thread, attributed to them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.client import slack_error
from bot.slack.messages.coach_me import (
    coach_me_empty,
    coach_me_message,
    coach_me_nothing,
    coach_me_shared,
    coach_me_small_talk,
    share_value,
)
from bot.slack.messages.parts import share_failed
from bot.slack.runtime import SlackRuntime
from bot.slack.text import clean_question
from bot.small_talk import is_special_only, small_talk
from bot.store.tables import AskOutcome, SaidKind, Write
from index.types import Hit, SearchResult

log = logging.getLogger(__name__)

# chat.postEphemeral errors that mean "this bot cannot speak here": fall back to a DM
NOT_HERE = {
    "not_in_channel",
    "channel_not_found",
    "user_not_in_channel",
    "is_archived",
    "restricted_action",
    "ekm_access_denied",
    "cannot_dm_bot",
}


@dataclass(frozen=True)
class CoachRequest:
    """The shortcut's payload, reduced to what answering needs."""

    user: str
    channel: str
    message_ts: str
    thread_ts: str  # where "Share in thread" posts: the message's thread, or the message itself
    text: str


def parse_shortcut(body: dict[str, Any]) -> CoachRequest | None:
    """The message_action payload as a request; None when a field Slack always sends is absent."""

    def text(*keys: str) -> str | None:
        data: Any = body
        for key in keys:
            data = data.get(key) if isinstance(data, dict) else None
        return data if isinstance(data, str) and data else None

    user = text("user", "id")
    channel = text("channel", "id")
    ts = text("message", "ts") or text("message_ts")
    if not (user and channel and ts):
        return None
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    raw = message.get("text") if isinstance(message.get("text"), str) else ""
    thread = message.get("thread_ts") if isinstance(message.get("thread_ts"), str) else None
    return CoachRequest(user, channel, ts, thread or ts, raw)


@dataclass(frozen=True)
class Coaching:
    """What the asker gets, and what the curator's gap report counts once it is shown."""

    message: dict[str, Any]
    asked: str = ""
    searched: bool = False  # small talk is not searched, nor counted as a question
    found: bool = False
    passage_ids: tuple[str, ...] = ()
    declined: str | None = None  # the out-of-scope topic it was left to others as

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "passage_ids": list(self.passage_ids)})

    @classmethod
    def from_json(cls, raw: str) -> Coaching:
        data = json.loads(raw)
        return cls(**{**data, "passage_ids": tuple(data.get("passage_ids") or ())})


def compose_coaching(slack: SlackRuntime, req: CoachRequest) -> Coaching:
    """Search the message's text for what the library says to the asker.

    Small talk is not searched, nor recorded for the curator: a "thanks!" coached on was a
    question the library could not answer in the gap report."""
    asked = clean_question(req.text, slack.bot_user_id)
    if small_talk(asked) is not None:
        empty = not asked or is_special_only(asked)
        return Coaching(coach_me_empty() if empty else coach_me_small_talk(), asked)
    result = slack.coach.search(asked)
    found = result.answered and bool(result.hits)
    cut_at = result.searched_chars
    if found:
        value = share_value(
            asked=asked,
            passage_ids=[h.passage.id for h in result.hits],
            key_sentences=[h.key_sentence for h in result.hits],
            fingerprints=[h.passage.fingerprint for h in result.hits],
            channel=req.channel,
            thread_ts=req.thread_ts,
        )
        message = coach_me_message(result, asked=asked, share=value, cut_at=cut_at)
    else:
        suggestions = slack.coach.suggestions(3, asked)
        message = coach_me_nothing(asked=asked, suggestions=suggestions, cut_at=cut_at)
    declined = result.out_of_scope.topic if result.out_of_scope and not found else None
    ids = tuple(h.passage.id for h in result.hits) if found else ()
    return Coaching(message, asked, True, found, ids, declined)


def asked_row(slack: SlackRuntime, req: CoachRequest, coaching: Coaching) -> Write | None:
    """The curator's row of a coaching shown (the gap report counts shortcuts too)."""
    if not coaching.searched:
        return None
    return slack.asked.row(
        channel=req.channel,
        ts=req.message_ts,
        question=coaching.asked,
        outcome=AskOutcome.of(coaching.found, coaching.declined),
        user_id=req.user,
        passage_ids=list(coaching.passage_ids),
        declined_topic=coaching.declined,
    )


def coached(req: CoachRequest, coaching: Coaching, where: str | None) -> None:
    """One line per coaching: what it found and where it went."""
    log.info(
        "coach-me for a message in %s: %s, delivered %s",
        req.channel,
        f"{len(coaching.passage_ids)} passage(s)" if coaching.found else "nothing relevant",
        where or "nowhere",
    )


def coach_on_message(slack: SlackRuntime, req: CoachRequest) -> None:
    """Coach the asker from memory: the way a shortcut goes only when the database could
    not store it (bot.slack.coach_me_queue)."""
    coaching = compose_coaching(slack, req)
    where = deliver_privately(slack, req, coaching.message)
    row = asked_row(slack, req, coaching)
    if where and row is not None:
        slack.asked.record(row)  # never raises
    coached(req, coaching, where)


class NotSent(Exception):
    """Certainly nothing reached the asker: no DM could be opened (its cause is Slack's
    failure), or the caller's lease was lost before the DM was posted."""

    def __init__(self, reason: str, *, lease_lost: bool = False) -> None:
        super().__init__(reason)
        self.lease_lost = lease_lost


def send_privately(
    slack: SlackRuntime,
    req: CoachRequest,
    message: dict[str, Any],
    *,
    client: WebClient | None = None,
    before_dm: Callable[[], bool] | None = None,
) -> str:
    """chat.postEphemeral in the channel; a DM when the bot cannot post there. Returns
    "ephemeral" or "dm"; Slack's failure is raised. `before_dm`: False stops before the DM
    is posted (the caller's lease is lost)."""
    try:
        slack.send_ephemeral(req.channel, req.user, message, client=client)
        return "ephemeral"
    except SlackApiError as err:
        if slack_error(err) not in NOT_HERE:
            raise
    try:
        opened = (client or slack.client).conversations_open(users=req.user)
    except Exception as err:
        raise NotSent(f"could not open a DM: {slack_error(err)}") from err
    dm = (opened.get("channel") or {}).get("id")
    if not dm:
        raise NotSent("could not open a DM: no channel in the answer")
    if before_dm is not None and not before_dm():
        raise NotSent("the lease ran out before the DM", lease_lost=True)
    note = dict(message)
    note["blocks"] = [
        *(message.get("blocks") or []),
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"You asked about a message in <#{req.channel}>; "
                    "I'm not in that channel, so I'm answering here.",
                }
            ],
        },
    ]
    slack.send(dm, note, client=client)
    return "dm"


def deliver_privately(
    slack: SlackRuntime, req: CoachRequest, message: dict[str, Any]
) -> str | None:
    """`send_privately` with the client's retries: "ephemeral", "dm" or None (failed; logged)."""
    try:
        return send_privately(slack, req, message)
    except Exception as err:  # Slack said no, or the network is gone after retries
        log.warning("coach-me reply in %s failed: %s", req.channel, slack_error(err))
        return None


def share_in_thread(
    slack: SlackRuntime, user: str, value: dict[str, Any], response_url: str | None
) -> None:
    """Post the coaching the asker saw in the message's thread, attributed to them; once."""
    channel, thread = value.get("ch"), value.get("th")
    ids = value.get("p")
    if not (isinstance(channel, str) and isinstance(thread, str) and isinstance(ids, list)):
        log.info("'Share in thread' click with an unreadable value; ignored")
        return
    keys = value.get("k") if isinstance(value.get("k"), list) else []
    shown = value.get("f") if isinstance(value.get("f"), list) else []
    hits = []
    for rank, pid in enumerate(ids[:5], start=1):
        # the words shown, wherever an edit of the article put them since (not the id's)
        seen = shown[rank - 1] if rank <= len(shown) and isinstance(shown[rank - 1], str) else None
        passage = slack.coach.passage(pid, seen) if isinstance(pid, str) else None
        if passage is None:
            continue
        key = keys[rank - 1] if rank <= len(keys) and isinstance(keys[rank - 1], str) else ""
        hits.append(Hit(rank, 1.0, passage, key))
    if not hits:
        slack.tell(
            response_url, "Those passages are no longer in the library — try the shortcut again."
        )
        return
    once_key = f"{channel}/{thread}/{user}/{','.join(h.passage.id for h in hits)}"
    if not slack.said_once.claim(SaidKind.SHARE, once_key):
        log.info("'Share in thread' clicked again for %s; already shared", thread)
        return
    asked = value.get("q") if isinstance(value.get("q"), str) else ""
    result = SearchResult(question=asked, answered=True, hits=tuple(hits))
    message = coach_me_shared(result, asked=asked, shared_by=user)
    try:
        response = slack.send(channel, message, thread)
    except Exception as err:
        slack.said_once.release(SaidKind.SHARE, once_key)
        error = err.response.get("error") if isinstance(err, SlackApiError) else None
        log.warning("sharing coaching in %s failed: %s", channel, error or err)
        slack.tell(response_url, share_failed(error, where="that channel", what="that"))
        return
    slack.said_once.done(SaidKind.SHARE, once_key, response.get("ts"))
    slack.tell(response_url, ":white_check_mark: Shared in the thread.", replace=True)
