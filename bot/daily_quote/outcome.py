"""What one attempt to post the day's quote did: a status and a sentence for a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from index.types import Quote


class OutcomeStatus(StrEnum):
    POSTED = "posted"  # a message was sent now
    RECOVERED = "recovered"  # an earlier attempt had reached the channel; now recorded
    ALREADY_POSTED = "already_posted"
    IN_PROGRESS = "in_progress"  # another process holds today's claim
    FAILED = "failed"  # will be retried by a later tick within the window
    MISSED = "missed"  # window closed
    OFF = "off"  # QUOTE_CHANNEL unset
    NO_QUOTES = "no_quotes"


@dataclass(frozen=True)
class PostOutcome:
    """What one attempt to post the day's quote did, with a sentence for a person."""

    status: OutcomeStatus
    message: str
    channel: str | None
    local_date: date
    quote: Quote | None = None
    ts: str | None = None
    forced: bool = False

    @property
    def posted(self) -> bool:
        """True when a message is in the channel for this day (sent now or found)."""
        return self.status in (
            OutcomeStatus.POSTED,
            OutcomeStatus.RECOVERED,
            OutcomeStatus.ALREADY_POSTED,
        )

    @property
    def ok(self) -> bool:
        """Nothing for a person to fix: posted, or being posted by another process."""
        return self.posted or self.status == OutcomeStatus.IN_PROGRESS

    def __str__(self) -> str:
        return self.message
