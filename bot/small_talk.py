"""Small talk: what people type to the coach that is no question for the library.

"hi", "good morning", "help", a bare mention, only emoji or punctuation: the usage help.
Thanks or an acknowledgement ("thanks!", "ok thanks", "that helps"): a short "you're
welcome". Searched, each got "the library doesn't have anything that answers hi" (or, worse,
passages that happen to contain "thank") and became a content gap in the curator's report.
Slack-free, so the Slack app, the console and the curator's report agree on what small talk is.

The rule is general rather than a list of sentences: a message is small talk when every word
in it is a courtesy word. One word of substance ("good morning, how do I run a pipeline
review?") makes it a question, searched as before.
"""

from __future__ import annotations

import re
from enum import StrEnum

# the courtesy words: the same that search leaves out around a question
from index.chatter import FILLER, GREETING, THANKS


class SmallTalk(StrEnum):
    HELP = "help"  # nothing to search, "help" or a greeting: the usage help
    THANKS = "thanks"  # thanks or an acknowledgement: "you're welcome"


def is_special_only(question: str) -> bool:
    """True when nothing but punctuation is left: treat as a bare mention."""
    return not re.search(r"\w", question)


_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def small_talk(question: str) -> SmallTalk | None:
    """What a cleaned question is if it is small talk; None for a question to search.

    Only courtesy words left: thanks if any of them thanks or acknowledges, else the help
    if any greets or asks for help. A single other word and it is a question."""
    if is_special_only(question):
        return SmallTalk.HELP
    words = set(_WORD.findall(question.lower().replace("\u2019", "'")))
    if not words <= GREETING | THANKS | FILLER:
        return None
    if words & THANKS:
        return SmallTalk.THANKS
    if words & GREETING:
        return SmallTalk.HELP
    return None
