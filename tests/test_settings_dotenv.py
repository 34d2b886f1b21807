"""Where settings come from, as README's "Settings" says: the environment, then `.env` in the
current directory (and only there); the environment wins over `.env`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings


def test_dotenv_is_read_from_the_current_directory_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUOTE_CHANNEL", raising=False)
    monkeypatch.delenv("QUOTE_TIME", raising=False)
    here = tmp_path / "checkout"
    here.mkdir()
    (here / ".env").write_text("QUOTE_CHANNEL=C0DOTENV\nQUOTE_TIME=07:15\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    monkeypatch.chdir(here)
    assert Settings.from_env().quote_channel == "C0DOTENV"
    monkeypatch.setenv("QUOTE_TIME", "08:45")
    assert Settings.from_env().quote_time == "08:45"  # the environment wins

    monkeypatch.chdir(elsewhere)  # the checkout's .env is not looked for from here
    assert Settings.from_env().quote_channel is None


def test_readme_says_where_dotenv_is_read_from() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    settings = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    assert "`.env` in the **current directory**" in settings
    assert "environment wins" in settings
