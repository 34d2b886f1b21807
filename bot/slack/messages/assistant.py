"""The assistant side panel's words: greeting, suggested prompts, status, thread title."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.coach import suggest_questions
from bot.slack.messages.parts import Message, fallback, section

PROMPT_TITLE_LIMIT = 75  # a suggested prompt's title is a one-line chip
TITLE_LIMIT = 80  # an assistant thread title in the history list

GREETING = (
    "Hi! I'm *Leadership Coach*. Ask me anything about leading a sales team and I'll "
    "answer with cited passages from our article library. Follow-up questions in this "
    "thread build on the first one."
)
LOOKING = "is looking through the library…"


def assistant_greeting() -> Message:
    return {"text": fallback(GREETING.replace("*", "")), "blocks": [section(GREETING)]}


def suggested_prompts(
    topics: Sequence[str], checked: Sequence[str], n: int = 4
) -> list[dict[str, str]]:
    """At least three prompts from the library's topics: the questions it was checked to
    answer first, then plain topic questions; each a {"title", "message"} pair."""
    questions: list[str] = []
    for q in [*checked, *suggest_questions(topics, n + 3)]:
        if q not in questions:
            questions.append(q)
    if len(questions) < 3:
        questions += [
            q
            for q in ("How do I coach a struggling rep?", "What makes a sales leader?")
            if q not in questions
        ]
    return [
        {"title": _one_line(q, PROMPT_TITLE_LIMIT), "message": q} for q in questions[: max(3, n)]
    ]


def thread_title(question: str) -> str:
    """The assistant thread's title: the first question on one line."""
    return _one_line(question, TITLE_LIMIT) or "Leadership question"


def _one_line(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def prompts_payload(prompts: Sequence[dict[str, str]]) -> list[dict[str, Any]]:
    """Slack wants a non-empty list of {"title", "message"}; drop anything blank."""
    return [p for p in prompts if p.get("title") and p.get("message")]
