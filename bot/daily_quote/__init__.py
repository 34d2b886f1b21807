"""The morning quote: which quote a day gets (rotation), when it is due (schedule), claiming
the day (ledger), sending it once (poster, delivery, slack_calls), the Slack message
(message) and the thread that ticks it all (runner)."""

from bot.daily_quote.outcome import OutcomeStatus, PostOutcome
from bot.daily_quote.poster import DailyQuoter, post_today
from bot.daily_quote.rotation import NoQuotesError, quote_for_date, quote_of_the_day, todays_quote
from bot.daily_quote.runner import SchedulerHandle, start_scheduler
from bot.daily_quote.schedule import due_at

__all__ = [
    "DailyQuoter",
    "NoQuotesError",
    "OutcomeStatus",
    "PostOutcome",
    "SchedulerHandle",
    "due_at",
    "post_today",
    "quote_for_date",
    "quote_of_the_day",
    "start_scheduler",
    "todays_quote",
]
