"""Every setting the code reads is in README's Settings table and in .env.example, and
neither names a setting the code does not read (an admin copies .env.example to .env)."""

from __future__ import annotations

import re

from bot.settings import Settings, env_name
from tests.library_fixtures import REPO_ROOT


def code_settings() -> set[str]:
    return {env_name(field) for field in Settings.model_fields}


def test_readme_settings_table_lists_exactly_the_settings_the_code_reads() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", table, re.MULTILINE))
    assert documented == code_settings()


def test_env_example_sets_exactly_the_settings_the_code_reads() -> None:
    example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    # `NAME=` lines, and `# NAME=...` lines left commented out on purpose (LOG_LEVEL)
    listed = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert listed == code_settings()
