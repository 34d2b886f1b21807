"""How much of a `/leadership-tip` topic is used: its first TOPIC_MAX_CHARS characters, cut
between words. Slack and the console cut it the same way, and both tell the person when
they did (a long topic was cut silently: the tip then seemed to ignore what came after)."""

from __future__ import annotations

TOPIC_MAX_CHARS = 200


def cut_topic(text: str) -> tuple[str, bool]:
    """The topic as searched (whitespace runs made one space) and whether it was cut. The
    cut falls before the word that would cross the limit; a single word longer than the
    limit is cut at the limit."""
    topic = " ".join(text.split())
    if len(topic) <= TOPIC_MAX_CHARS:
        return topic, False
    head = topic[:TOPIC_MAX_CHARS]
    if topic[TOPIC_MAX_CHARS] != " " and " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:-"), True


def last_words(topic: str, count: int = 5) -> str:
    """Where a cut topic ends, to show the person what was used ("…motivate the team")."""
    return " ".join(topic.split()[-count:])[-60:]


def cut_sentence(topic: str) -> str:
    """The plain sentence a person is told when their topic was cut (`topic`: what was
    used), in Slack and in the console."""
    return (
        f"Your topic was over {TOPIC_MAX_CHARS} characters, so I used only its first part, "
        f"up to \u201c\u2026{last_words(topic)}\u201d."
    )
