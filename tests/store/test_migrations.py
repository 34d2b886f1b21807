"""Schema migrations: on an empty database, on one made before migrations, and by several
replicas starting together; on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, func, insert, inspect, select, text

from bot.store.engine import make_engine
from bot.store.migrate import (
    DatabaseUnavailable,
    current_revision,
    head_revision,
    normalise_url,
    upgrade,
)
from bot.store.tables import feedback, metadata, quote_ledger
from tests.pg_fixtures import BACKENDS, PostgresServer, database_url_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=BACKENDS)
def schema_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database for the schema tests, SQLite and PostgreSQL."""
    return database_url_for(request.param, request, tmp_path)


def schema_diff(url: str) -> list[object]:
    """What the live schema lacks or has beyond the tables the code declares."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    return [d for d in diffs if not (isinstance(d, tuple) and d[0] == "remove_table")]


ADD_A_MIGRATION = (
    "the tables in bot/store/tables.py differ from what the migrations make: add a "
    "migration under bot/store/migrations/versions for the change"
)


def test_empty_database_gets_the_schema_the_code_declares(schema_db_url: str) -> None:
    engine = make_engine(schema_db_url)
    try:
        assert current_revision(engine) == head_revision()
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert schema_diff(schema_db_url) == [], ADD_A_MIGRATION


# What migrations 0001-0004 make on an empty database, recorded before their column lists
# were shared (bot/store/migrations/columns.py). They are history: a database made by them
# must stay what later migrations expect, so this never changes; a schema change is a new
# migration (compared with bot/store/tables.py above), not an edit of these.
FROZEN_SCHEMA = Path(__file__).with_name("schema_0004.json")


def described_schema(engine: Engine) -> dict[str, object]:
    """Every table as the database itself reports it: columns in order with type,
    NULL-ability and server default, primary key, unique constraints, indexes; on SQLite
    also the CREATE statements as stored."""
    found = inspect(engine)
    tables: dict[str, object] = {}
    for name in sorted(set(found.get_table_names()) - {"alembic_version"}):
        tables[name] = {
            "columns": [
                f"{c['name']} {c['type'].compile(dialect=engine.dialect)}"
                f"{'' if c['nullable'] else ' NOT NULL'}"
                f"{'' if c.get('default') is None else ' DEFAULT ' + str(c['default'])}"
                for c in found.get_columns(name)
            ],
            "primary_key": found.get_pk_constraint(name)["constrained_columns"],
            "unique": sorted(
                f"{u['name']}: {', '.join(u['column_names'])}"
                for u in found.get_unique_constraints(name)
            ),
            "indexes": sorted(
                f"{i['name']}: {', '.join(str(c) for c in i['column_names'])}"
                f"{' UNIQUE' if i['unique'] else ''}"
                for i in found.get_indexes(name)
            ),
        }
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT name, sql FROM sqlite_master ORDER BY name"))
            tables["sqlite_master"] = {row.name: row.sql for row in stored}
    return tables


def test_the_first_four_migrations_make_exactly_the_recorded_schema(schema_db_url: str) -> None:
    engine = create_engine(schema_db_url)
    try:
        upgrade(engine, "0004")
        schema = described_schema(engine)
    finally:
        engine.dispose()
    recorded = json.loads(FROZEN_SCHEMA.read_text(encoding="utf-8"))[engine.dialect.name]
    assert schema == recorded, (
        "migrations 0001-0004 (or bot/store/migrations/columns.py) changed what they create: "
        "they are history; put a schema change in a new migration"
    )


def test_upgrading_twice_changes_nothing(schema_db_url: str) -> None:
    engine = make_engine(schema_db_url)
    try:
        assert upgrade(engine) == (head_revision(), head_revision())
    finally:
        engine.dispose()


# what `create_all` made before migrations existed
LEGACY = {
    "slack_handled_events",
    "slack_answered_threads",
    "feedback",
    "tip_history",
    "daily_quote_choices",
    "daily_quote_ledger",
    "daily_quote_posts",
    "asked_questions",
    "feedback_reasons",
    "quote_rotation",
    "quote_schedules",
    "said_once",
}
# columns later migrations add to those tables, which that main's create_all never made
ADDED_SINCE = {"asked_questions": ["declined_topic"]}  # 0006


def test_database_made_before_migrations_is_upgraded_in_place(schema_db_url: str) -> None:
    """Today's main made its tables with create_all and kept no version: nothing is lost."""
    legacy = create_engine(schema_db_url)
    metadata.create_all(legacy, tables=[t for t in metadata.sorted_tables if t.name in LEGACY])
    now = datetime.now(UTC)
    with legacy.begin() as conn:
        for table, columns in ADDED_SINCE.items():
            for column in columns:
                conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        conn.execute(
            insert(feedback).values(
                user_id="U1",
                channel="C1",
                message_ts="1.1",
                question="q",
                passage_ids="a",
                helpful=True,
                created_at=now,
            )
        )
        conn.execute(
            insert(quote_ledger).values(
                channel="C1",
                local_date="2026-11-02",
                quote_key="k",
                state="posted",
                owner="old",
                claimed_at=now.replace(tzinfo=None),
                heartbeat_at=now.replace(tzinfo=None),
                version=1,
                attempts=1,
                message_ts="9.9",
            )
        )
    legacy.dispose()
    assert current_revision(create_engine(schema_db_url)) is None

    engine = make_engine(schema_db_url)
    try:
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(feedback)) == 1
            assert conn.scalar(select(quote_ledger.c.message_ts)) == "9.9"
    finally:
        engine.dispose()
    assert schema_diff(schema_db_url) == [], ADD_A_MIGRATION


def test_a_database_at_0004_keeps_its_queued_questions_and_takes_tips(
    schema_db_url: str,
) -> None:
    """0005 adds the tip columns in place: a question queued before the upgrade is still
    there to be answered, and tip requests can be stored beside it."""
    from bot.store.answer_queue import AnswerQueue

    _question_queued_at("0004", schema_db_url)

    engine = make_engine(schema_db_url)
    try:
        assert current_revision(engine) == head_revision()
        queue = AnswerQueue(engine, "a")
        assert queue.enqueue_tip(
            key="tip:T1", kind="tip", channel="C1", user_id="U1", topic="", response_url="u"
        )
        jobs = queue.claim(5, timedelta(seconds=30))
        assert [(j.kind, j.text) for j in jobs] == [("mention", "how do I coach?"), ("tip", "")]
    finally:
        engine.dispose()
    assert schema_diff(schema_db_url) == [], ADD_A_MIGRATION


def test_a_database_at_0007_keeps_its_queued_rows_and_takes_more_like_this_clicks(
    schema_db_url: str,
) -> None:
    """0008 adds a click's context and offset in place: a question queued before the
    upgrade is still there to be answered, and a "More like this" click is stored beside it
    with what its search needs."""
    from bot.store.answer_queue import AnswerQueue

    _question_queued_at("0007", schema_db_url)

    engine = make_engine(schema_db_url)
    try:
        assert current_revision(engine) == head_revision()
        queue = AnswerQueue(engine, "a")
        click = {
            "key": "more:C1:1.2:3",
            "channel": "C1",
            "ts": "1.2",
            "thread_ts": "1.1",
            "user_id": "U1",
            "question": "how do I coach?",
            "context": "my first question",
            "offset": 3,
        }
        assert queue.enqueue_more(**click)
        assert not queue.enqueue_more(**click)  # the same click again
        first, more = queue.claim(5, timedelta(seconds=30))
        assert (first.kind, first.text, first.context) == ("mention", "how do I coach?", None)
        assert (more.kind, more.thread_ts, more.text) == ("more", "1.1", "how do I coach?")
        assert (more.context, more.offset) == ("my first question", 3)
    finally:
        engine.dispose()
    assert schema_diff(schema_db_url) == [], ADD_A_MIGRATION


def test_a_database_at_0008_keeps_its_queued_clicks_and_takes_their_shown_passages(
    schema_db_url: str,
) -> None:
    """0009 adds the fingerprints a "More like this" click leaves out, in place: a click
    queued before the upgrade (offset only) is still there, paged by its offset, and a new
    click keeps the passages its thread showed for whichever replica answers it."""
    from bot.store.answer_queue import AnswerQueue

    _question_queued_at("0008", schema_db_url)
    old = create_engine(schema_db_url)
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO answer_queue (question_key, kind, channel, ts, text, state, "
                "attempts, next_attempt_at, created_at, passage_offset) VALUES "
                "('more:C1:1.2:3', 'more', 'C1', '1.2', 'how do I coach?', 'queued', 0, "
                ":now, :now, 3)"
            ),
            {"now": datetime.now(UTC).replace(tzinfo=None)},
        )
    old.dispose()

    engine = make_engine(schema_db_url)
    try:
        assert current_revision(engine) == head_revision()
        queue = AnswerQueue(engine, "a")
        shown = ("0123456789", "abcdef0123", "fedcba9876")
        click = {"channel": "C1", "ts": "1.3", "thread_ts": "1.1", "user_id": "U1"}
        click |= {"question": "how do I coach?", "context": None, "offset": 3}
        assert queue.enqueue_more(key="more:C1:1.3:d1", excluded=shown, **click)
        mention, before, after = queue.claim(5, timedelta(seconds=30))
        assert (mention.kind, mention.excluded) == ("mention", None)
        assert (before.kind, before.offset, before.excluded) == ("more", 3, None)
        assert (after.kind, after.offset, after.excluded) == ("more", 3, shown)
    finally:
        engine.dispose()
    assert schema_diff(schema_db_url) == [], ADD_A_MIGRATION


STARTER = """
import sys, time
from pathlib import Path
from typing import Any
flag = Path(sys.argv[2])
Path(str(flag) + ".ready." + sys.argv[3]).write_text("")
while not flag.exists():
    time.sleep(0.005)
from bot.store.engine import make_engine
make_engine(sys.argv[1]).dispose()
print("up")
"""


def test_replicas_started_together_on_an_empty_database_all_come_up(
    schema_db_url: str, tmp_path: Path
) -> None:
    flag = tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, schema_db_url, str(flag), str(i)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    try:
        while len(list(tmp_path.glob("go.ready.*"))) < len(children):
            if any(c.poll() is not None for c in children):
                break
        flag.write_text("go")
        results = [c.communicate(timeout=120) for c in children]
    finally:
        for child in children:
            child.kill()
    for child, (out, err) in zip(children, results, strict=True):
        assert child.returncode == 0 and out.strip() == "up", err
    assert schema_diff(schema_db_url) == [], ADD_A_MIGRATION


def test_postgresql_urls_use_psycopg_3(postgres_server: PostgresServer) -> None:
    assert normalise_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("postgres://u@h:5433/db") == "postgresql+psycopg://u@h:5433/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
    plain = postgres_server.new_database().replace("postgresql+psycopg://", "postgresql://")
    engine = make_engine(plain)
    try:
        assert engine.dialect.driver == "psycopg"
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_unreachable_database_names_the_setting_and_hides_the_password(
    postgres_server: PostgresServer,
) -> None:
    from tests.pg_fixtures import _free_port

    url = f"postgresql://coach:hunter2@127.0.0.1:{_free_port()}/nowhere?connect_timeout=5"
    with pytest.raises(DatabaseUnavailable) as caught:
        make_engine(url)
    message = str(caught.value)
    assert "DATABASE_URL=" in message and "nowhere" in message
    assert "hunter2" not in message


def test_coach_db_upgrade_reports_what_it_did(
    run_coach: Any, postgres_server: PostgresServer
) -> None:
    url = postgres_server.new_database()
    first = run_coach("db", "upgrade", env={"DATABASE_URL": url})
    assert first.returncode == 0, first.stderr
    assert f"empty -> {head_revision()}" in first.stdout
    again = run_coach("db", "upgrade", env={"DATABASE_URL": url})
    assert f"already at {head_revision()}" in again.stdout
    refused = run_coach(
        "db", "upgrade", env={"DATABASE_URL": "postgresql://u:hunter2@127.0.0.1:1/none"}
    )
    assert refused.returncode != 0
    assert "DATABASE_URL=" in refused.stderr and "hunter2" not in refused.stderr


@pytest.mark.parametrize("damage", ["truncated", "not a database"])
def test_a_damaged_sqlite_file_is_one_line_naming_the_setting(
    run_coach: Any, tmp_path: Path, damage: str
) -> None:
    """A coach.db cut short (disk full, a copy interrupted) or overwritten: `coach db upgrade`
    (and `coach serve`, which runs the same migrations) say which database, not a traceback."""
    good = tmp_path / "good.db"
    make_engine(f"sqlite:///{good}").dispose()
    path = tmp_path / "coach.db"
    if damage == "truncated":
        path.write_bytes(good.read_bytes()[:5000])
    else:
        path.write_bytes(b"these are not the tables you are looking for\n" * 200)
    url = f"sqlite:///{path}"
    with pytest.raises(DatabaseUnavailable) as caught:
        make_engine(url)
    assert f"DATABASE_URL={url}" in str(caught.value)
    proc = run_coach("db", "upgrade", env={"DATABASE_URL": url})
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert f"DATABASE_URL={url}" in proc.stderr


def test_a_database_the_app_does_not_support_says_which_it_does() -> None:
    """DATABASE_URL=mysql://... used to be told to `pip install -e '.[postgres]'`, which
    cannot help: only SQLite and PostgreSQL are supported."""
    with pytest.raises(DatabaseUnavailable) as caught:
        make_engine("mysql://coach:hunter2@db.example/coach")
    message = str(caught.value)
    assert "DATABASE_URL=mysql://coach:***@db.example/coach" in message
    assert "sqlite:///" in message and "postgresql://" in message
    assert "pip install" not in message and "hunter2" not in message


@pytest.mark.parametrize("value", ["garbage", "localhost:5432/coach"])
def test_coach_db_upgrade_on_a_value_that_is_not_a_url_is_one_line(
    run_coach: Any, value: str
) -> None:
    """It was a traceback (SQLAlchemy's ArgumentError); `coach report` already said this."""
    proc = run_coach("db", "upgrade", env={"DATABASE_URL": value})
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: DATABASE_URL is not valid: expected a database URL")
    assert "sqlite:///" in proc.stderr and "postgresql://" in proc.stderr
    assert value not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def _question_queued_at(revision: str, url: str) -> None:
    """The database at `revision` with a mention queued in it (to be answered after an
    upgrade)."""
    old = create_engine(url)
    upgrade(old, revision)
    now = datetime.now(UTC).replace(tzinfo=None)
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO answer_queue (question_key, kind, channel, ts, text, state, "
                "attempts, next_attempt_at, created_at) VALUES ('msg:C1:1.1', 'mention', "
                "'C1', '1.1', 'how do I coach?', 'queued', 0, :now, :now)"
            ),
            {"now": now},
        )
    old.dispose()
