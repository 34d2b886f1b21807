"""Small talk: what people type to the coach that is no question for the library.

"hi", "help", a bare mention, only emoji or punctuation: the usage help. Only thanks: a short
"you're welcome". Searched, each got "the library doesn't have anything that answers hi"
and became a content gap in the curator's report. Slack-free, so the Slack app, the console
and the curator's report agree on what small talk is.
"""

from __future__ import annotations

import re
from enum import StrEnum


class SmallTalk(StrEnum):
    HELP = "help"  # nothing to search, "help" or a greeting: the usage help
    THANKS = "thanks"  # only thanks: "you're welcome"


def is_special_only(question: str) -> bool:
    """True when nothing but punctuation is left: treat as a bare mention."""
    return not re.search(r"\w", question)


_HELP = re.compile(r"(?:help|help me|usage|\?|(?:hi|hello|hey)(?: there)?)[\s?!.,]*", re.I)


def asks_for_help(question: str) -> bool:
    """A question that is only "help" or a greeting (as people type in a new app's DM): the
    usage help, as for a bare mention and `/leadership-tip help`, not a search for the word
    ("hi" got "the library doesn't have anything that answers hi" and a content gap)."""
    return bool(_HELP.fullmatch(question.strip()))


_THANKS = re.compile(
    r"(?:many |great,? )?(?:thanks|thank you|thank u|thx|ty|cheers|much appreciated|"
    r"appreciate it)(?: (?:so much|a lot|very much|again))?(?:,? coach)?[\s!.,:)]*",
    re.IGNORECASE,
)


def says_thanks(question: str) -> bool:
    """A message that only thanks the coach (after an answer, in its thread or DM): it gets a
    short "you're welcome", not "the library doesn't have anything that answers thanks"
    and a content gap in the curator's report."""
    return bool(_THANKS.fullmatch(question.strip()))


def small_talk(question: str) -> SmallTalk | None:
    """What a cleaned question is if it is small talk; None for a question to search."""
    if is_special_only(question) or asks_for_help(question):
        return SmallTalk.HELP
    if says_thanks(question):
        return SmallTalk.THANKS
    return None
