"""The `coach` command line.

`ask --json`, the console and a few fast paths run as a user runs them, in a fresh process;
each such process loads the model (seconds), so their checks are batched. The rest run the
same Typer app in this process with the session's already loaded model.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from bot.cli import app
from index.embedder import Embedder
from index.library import Library
from tests.library_fixtures import REPO_ROOT, copy_content, write_article

RunCoach = Callable[..., subprocess.CompletedProcess[str]]
Invoke = Callable[..., Result]

ON_TOPIC = "Are leaders born or made?"
OFF_TOPIC = "What is the capital of Australia?"
CELEBRATE = "How do I celebrate wins with my sales team?"
OUT_OF_SCOPE = "which call-recording tool should we buy?"


@pytest.fixture
def invoke(
    monkeypatch: pytest.MonkeyPatch, lib_embedder: Embedder, coach_env: dict[str, str]
) -> Invoke:
    """Run `coach ARGS...` in this process, reusing the session's loaded model."""
    monkeypatch.setattr(Embedder, "_load", lambda self: lib_embedder.encoder)

    def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(app, list(args), input=stdin, env={**coach_env, **(env or {})})

    return run


def _is_score(value: object) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


def test_ask_json_contract(shipped_library: Library, run_coach: RunCoach) -> None:
    long = "How do I keep my sales team motivated? " * 1100  # over 40,000 characters
    questions = [
        ON_TOPIC,
        OFF_TOPIC,
        "",
        "  <!channel> how do I motivate my reps?  ",
        long.strip(),
        CELEBRATE,
        OUT_OF_SCOPE,
    ]
    proc = run_coach("ask", "--json", "-k", "2", stdin="\n".join(questions) + "\n")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(questions)
    objects = [json.loads(line) for line in lines]
    assert [o["question"] for o in objects] == questions  # in order, as typed
    assert [o["answered"] for o in objects] == [True, False, False, True, True, True, False]
    declined = objects.pop()  # the curator's out-of-scope map says who to ask instead
    assert declined["passages"] == [] and set(declined["out_of_scope"]) == {"topic", "ask"}
    for obj in objects:
        assert set(obj) == {"question", "answered", "passages"}
        assert isinstance(obj["question"], str) and isinstance(obj["answered"], bool)
        assert isinstance(obj["passages"], list)
        if not obj["answered"]:
            assert obj["passages"] == []
            continue
        assert [p["rank"] for p in obj["passages"]] == [1, 2]
        for passage in obj["passages"]:
            assert set(passage) == {"rank", "score", "text", "article"}
            assert isinstance(passage["rank"], int) and _is_score(passage["score"])
            assert isinstance(passage["text"], str) and passage["text"]
            article = passage["article"]
            assert set(article) == {"id", "title", "author", "source"}
            assert isinstance(article["id"], str) and isinstance(article["title"], str)
            assert article["author"] is None or isinstance(article["author"], str)
            assert article["source"] is None or isinstance(article["source"], str)
            assert article["id"] in {a.meta.id for a in shipped_library.articles}
    born = objects[0]["passages"][0]
    assert "Leaders are made rather than born" in born["text"]
    assert born["article"]["title"] == "Sales Management vs. Sales Leadership"


def test_ask_human_output_cites_sources(shipped_library: Library, invoke: Invoke) -> None:
    proc = invoke("ask", stdin=f"{ON_TOPIC}\n{OFF_TOPIC}\n")
    assert proc.exit_code == 0, proc.output
    answer, _, refusal = proc.stdout.partition(f"Q: {OFF_TOPIC}")
    assert f"Q: {ON_TOPIC}" in answer
    assert re.search(r"^1\. ", answer, re.M) and re.search(r"^3\. ", answer, re.M)
    assert answer.count("— “") == 3  # every passage carries its citation
    assert "— “Sales Management vs. Sales Leadership”" in answer
    assert "couldn't find anything in the coaching library" in refusal
    assert "Try asking about:" in refusal
    assert "— “" not in refusal


def test_ask_json_says_a_cut_question_on_stderr_only(
    shipped_library: Library, invoke: Invoke
) -> None:
    """`coach ask` said "searched its first N characters" of a long question, `--json` said
    nothing at all; now one line on stderr says it, and stdout is the JSON as it was."""
    long = "How do I keep my sales team motivated and engaged? " * 40  # 2,040 characters
    searched = len(shipped_library.search(long, 3).question)
    note = f"(Your question was long, so I searched its first {searched} characters.)"
    human = invoke("ask", long)
    assert human.exit_code == 0, human.output
    assert note in human.stdout
    one = invoke("ask", "--json", long)
    assert one.exit_code == 0, one.output
    [line] = one.stdout.splitlines()
    assert set(json.loads(line)) == {"question", "answered", "passages"}
    assert one.stderr.splitlines() == [note]
    piped = invoke("ask", "--json", stdin=f"{ON_TOPIC}\n{long}\n")
    assert piped.exit_code == 0, piped.output
    assert [json.loads(x)["question"] for x in piped.stdout.splitlines()] == [ON_TOPIC, long]
    assert piped.stderr.splitlines() == [f"line 2: {note}"]


def test_ask_an_empty_question_says_how_to_ask(invoke: Invoke) -> None:
    proc = invoke("ask", "   ")
    assert proc.exit_code == 2
    assert "Nothing to answer" in proc.stderr and "coach ask" in proc.stderr
    assert proc.stdout == "", "the hint is not an answer: a script reading stdout gets nothing"
    assert "couldn't find anything" not in proc.output


def _write_eval_file(path: Path) -> Path:
    rows = [
        {"id": "t1", "question": ON_TOPIC, "gold": ["Leaders are made rather than born"]},
        {"id": "t2", "question": CELEBRATE, "gold": ["Celebration of achievements is essential"]},
        {"id": "t3", "question": "Which planet has the most moons?", "gold": []},
        {"id": "t4", "question": OFF_TOPIC, "gold": []},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_eval_json_metrics(shipped_library: Library, invoke: Invoke, tmp_path: Path) -> None:
    proc = invoke("eval", str(_write_eval_file(tmp_path / "small.jsonl")), "--json")
    assert proc.exit_code == 0, proc.output
    metrics = json.loads(proc.stdout)
    for key in ("hit@1", "hit@3", "mrr@10", "false_abstain", "off_topic_abstain"):
        assert isinstance(metrics[key], float | int), key
        assert 0.0 <= metrics[key] <= 1.0
    assert (metrics["questions"], metrics["answerable"], metrics["off_topic"]) == (4, 2, 2)
    assert metrics["hit@3"] == 1.0
    assert metrics["false_abstain"] == 0.0
    assert metrics["off_topic_abstain"] == 1.0


def test_eval_table_and_explain(shipped_library: Library, invoke: Invoke, tmp_path: Path) -> None:
    path = _write_eval_file(tmp_path / "small.jsonl")
    with path.open("a", encoding="utf-8") as handle:  # a gold phrase no passage holds: a miss
        handle.write(json.dumps({"id": "t5", "question": ON_TOPIC, "gold": ["zebra xylophone"]}))
    proc = invoke("eval", str(path), "--explain")
    assert proc.exit_code == 0, proc.output
    for label in ("hit@1", "hit@3", "mrr@10", "false_abstain", "off-topic abstain"):
        assert label in proc.stdout
    assert "3 / 0 / 2" in proc.stdout  # answerable / uncovered / off-topic
    assert "t5" in proc.stdout and "no passage contains a gold phrase" in proc.stdout


def test_eval_of_only_uncovered_questions_shows_no_rates_rather_than_zeros(
    shipped_library: Library, invoke: Invoke, tmp_path: Path
) -> None:
    """README's gap loop: `coach eval gaps.jsonl` before any gold is filled in. It showed
    hit@1 0.000, hit@3 0.000, MRR@10 0.000, as if search had found nothing."""
    gaps = tmp_path / "gaps.jsonl"
    gap = {"id": "gap-1", "question": OFF_TOPIC, "gold": [], "kind": "uncovered"}
    gaps.write_text(json.dumps(gap) + "\n")
    proc = invoke("eval", str(gaps))
    assert proc.exit_code == 0, proc.output
    assert re.search(r"hit@1\s+│\s+-\s", proc.stdout), proc.stdout
    assert "0.000" not in proc.stdout
    assert "need answerable questions" in proc.stdout
    assert re.search(r"uncovered abstain\s+│\s+1\.000 \(1 of 1\)", proc.stdout)


def test_eval_json_of_only_uncovered_questions_gives_no_rates_rather_than_zeros(
    shipped_library: Library, invoke: Invoke, tmp_path: Path
) -> None:
    """The gap loop's file as a script reads it: `coach eval gaps.jsonl --json` gave
    "hit@1": 0.0, "mrr@10": 0.0 and "off_topic_abstain": 0.0 of no such questions, which
    reads as search finding nothing, where the table shows "-". A rate of none is null."""
    gaps = tmp_path / "gaps.jsonl"
    gap = {"id": "gap-1", "question": OFF_TOPIC, "gold": [], "kind": "uncovered"}
    gaps.write_text(json.dumps(gap) + "\n")
    proc = invoke("eval", str(gaps), "--json")
    assert proc.exit_code == 0, proc.output
    metrics = json.loads(proc.stdout)
    for key in ("hit@1", "hit@3", "mrr@10", "false_abstain", "off_topic_abstain"):
        assert metrics[key] is None, key
    assert (metrics["uncovered"], metrics["uncovered_abstain"]) == (1, 1.0)


def test_eval_rejects_a_malformed_question_file(run_coach: RunCoach, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "question": "ok", "gold": []}\nnot json\n', encoding="utf-8")
    proc = run_coach("eval", str(path), "--json")
    assert proc.returncode == 1
    assert "bad.jsonl:2" in proc.stderr


def test_console_with_piped_input(shipped_library: Library, run_coach: RunCoach) -> None:
    script = [
        CELEBRATE,
        "/leadership-tip",
        "/leadership-tip feedback",
        "/quote",
        "/help",
        OFF_TOPIC,
        "/bogus",
        "/quit",
    ]
    after_quit = "Are leaders born or made, really?"
    proc = run_coach("console", stdin="\n".join([*script, after_quit]) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    blocks = re.split(r"^> ", out, flags=re.M)[1:]
    assert [b.splitlines()[0] for b in blocks] == script  # each line echoed, then answered
    assert after_quit not in out  # /quit leaves
    answer, tip, topic_tip, quote, help_text, refusal, unknown, _ = blocks
    assert "Unknown command /bogus" in unknown
    assert "Celebration of achievements is essential" in answer and "— “" in answer
    assert tip.splitlines()[1].startswith("Tip: ") and "— “" in tip
    assert "Tip: " in topic_tip and "feedback" in topic_tip.lower()
    assert "Tip: Tip" not in out
    assert re.search(r"“.+”\n\s+— \S", quote)  # quote text, then its author
    assert "/leadership-tip" in help_text and "/quote" in help_text
    assert "couldn't find anything" in refusal


def test_run_without_slack_tokens_starts_the_console(
    shipped_library: Library, run_coach: RunCoach
) -> None:
    proc = run_coach("run", stdin="/help\n")
    assert proc.returncode == 0, proc.stderr
    assert "No SLACK_BOT_TOKEN set" in proc.stderr
    assert "/leadership-tip" in proc.stdout


@pytest.mark.parametrize(
    ("command", "env", "setting"),
    [
        ("serve", {}, "SLACK_BOT_TOKEN"),
        ("serve", {"SLACK_BOT_TOKEN": "xoxb-1-2"}, "SLACK_SIGNING_SECRET"),
        ("run", {"SLACK_BOT_TOKEN": "xoxb-1-2"}, "SLACK_SIGNING_SECRET"),
        ("serve", {"SLACK_BOT_TOKEN": "xoxb-1-2", "SLACK_APP_TOKEN": "xoxb-3"}, "SLACK_APP_TOKEN"),
        # before: sent to auth.test, which a user token (xoxp-) passes: it ran as that person
        ("serve", {"SLACK_BOT_TOKEN": "xapp-1-2", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ("run", {"SLACK_BOT_TOKEN": "xoxp-1-2", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
    ],
    ids=[
        "no-bot-token",
        "no-signing-secret",
        "run-no-signing-secret",
        "bad-app-token",
        "app-token-as-bot-token",
        "user-token-as-bot-token",
    ],
)
def test_a_misconfigured_start_is_one_line_naming_the_setting_and_opens_no_database(
    run_coach: RunCoach, tmp_path: Path, command: str, env: dict[str, str], setting: str
) -> None:
    database = tmp_path / "coach.db"
    proc = run_coach(command, env={**env, "DATABASE_URL": f"sqlite:///{database}"})
    assert proc.returncode == 1
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {setting} ")
    assert not database.exists()


def test_quote_is_stable_for_a_date(shipped_library: Library, run_coach: RunCoach) -> None:
    first = run_coach("quote", "--date", "2026-11-23")
    second = run_coach("quote", "--date", "2026-11-23")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert re.match(r"“.+”\n\s+— \S", first.stdout)
    bad = run_coach("quote", "--date", "23/11/2026")
    assert bad.returncode == 1 and "is not a date" in bad.stderr


def test_index_build_is_incremental_and_reports_bad_files(
    shipped_library: Library,
    invoke: Invoke,
    lib_embedder: Embedder,
    lib_data_dir: Path,
    tmp_path: Path,
) -> None:
    content = copy_content(tmp_path / "content")
    shutil.copytree(lib_data_dir / "index", tmp_path / "data" / "index")
    write_article(
        content,
        "zz-trade-show",
        "Staff the trade show booth in two-hour shifts. Greet visitors standing, never seated.",
        title="Trade Show Booths",
    )
    (content / "zz-broken.md").write_bytes(b"---\nauthor: Nobody\n---\n\nText.\n")
    env = {"CONTENT_DIR": str(content), "DATA_DIR": str(tmp_path / "data")}
    proc = invoke("index", "build", env=env)
    assert proc.exit_code == 1, proc.output  # built, but a file was skipped
    assert "zz-broken.md:1" in proc.stderr and "(skipped)" in proc.stderr
    articles = len(shipped_library.articles) + 1
    match = re.search(
        rf"index ready: {articles} articles, .* embedded (\d+), reused (\d+)", proc.stdout
    )
    assert match, proc.stdout
    embedded, reused = int(match[1]), int(match[2])
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(content / "zz-trade-show.md", alone)
    cost = Library.open(alone, tmp_path / "alone-index", "unused", embedder=lib_embedder)
    assert embedded == cost.searcher.dense.embedded  # only the new article was embedded
    assert reused >= shipped_library.searcher.dense.manifest["embedded"]
    ask = invoke("ask", "--json", "how should we staff our trade show booth?", env=env)
    assert json.loads(ask.stdout)["passages"][0]["article"]["id"] == "zz-trade-show"


def test_an_index_build_with_nothing_changed_says_up_to_date_not_the_last_builds_counts(
    shipped_library: Library, invoke: Invoke, lib_data_dir: Path, tmp_path: Path
) -> None:
    """It printed the manifest's counts of whatever build came before ("embedded 1136,
    reused 0" after a first build), as if every run re-embedded the library."""
    content = copy_content(tmp_path / "content")
    shutil.copytree(lib_data_dir / "index", tmp_path / "data" / "index")
    env = {"CONTENT_DIR": str(content), "DATA_DIR": str(tmp_path / "data")}
    proc = invoke("index", "build", env=env)
    assert proc.exit_code == 0, proc.output
    articles = len(shipped_library.articles)
    assert re.search(rf"index ready: {articles} articles, .*; already up to date \(", proc.stdout)
    assert "embedded" not in proc.stdout


def test_a_missing_embedding_model_folder_is_one_line_naming_the_setting(
    run_coach: RunCoach, tmp_path: Path
) -> None:
    """It imported torch, asked the Hugging Face hub and logged three warnings over 20 s,
    then said 'could not be loaded: Repo id must use alphanumeric chars'."""
    missing = str(tmp_path / "no-such-model")
    proc = run_coach(
        "ask", "how do I coach?", env={"EMBEDDING_MODEL": missing, "DATA_DIR": str(tmp_path)}
    )
    assert proc.returncode == 1
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"error: EMBEDDING_MODEL={missing!r} is not valid"), line
    assert "folder that exists" in line and "Repo id" not in line


@pytest.mark.parametrize("case", ["empty folder", "missing folder"])
def test_empty_library_is_a_clear_error(run_coach: RunCoach, tmp_path: Path, case: str) -> None:
    content = tmp_path / "content"
    if case == "empty folder":
        content.mkdir()
    proc = run_coach("ask", "how do I coach?", env={"CONTENT_DIR": str(content)})
    assert proc.returncode == 1
    [line] = proc.stderr.splitlines()
    if case == "empty folder":
        assert line == f"error: {content}: no articles (*.md) found; add one and rebuild the index"
    else:  # a mistyped CONTENT_DIR was told to "add one" article to a folder that is not there
        assert line.startswith(f"error: CONTENT_DIR={content}: no such folder"), line


@pytest.mark.parametrize("command", [("report",), ("quote", "schedule", "list")])
def test_unreachable_database_hides_the_password(run_coach: RunCoach, command: tuple[str]) -> None:
    """Commands that read the database name DATABASE_URL when it cannot be opened, but
    never print its password (the error line lands in terminals and CI logs)."""
    url = "postgresql://coach:hunter2@127.0.0.1:1/nowhere?connect_timeout=5"
    proc = run_coach(*command, env={"DATABASE_URL": url})
    assert proc.returncode == 1
    assert "DATABASE_URL=" in proc.stderr and "nowhere" in proc.stderr
    assert "hunter2" not in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr


def test_ask_shows_search_top_k_passages_unless_k_is_given(
    shipped_library: Library, invoke: Invoke
) -> None:
    """SEARCH_TOP_K is "passages per answer" for `coach ask` as for the bot and console."""
    proc = invoke("ask", "--json", ON_TOPIC, env={"SEARCH_TOP_K": "2"})
    assert proc.exit_code == 0, proc.output
    assert len(json.loads(proc.stdout)["passages"]) == 2
    proc = invoke("ask", "--json", "-k", "4", ON_TOPIC, env={"SEARCH_TOP_K": "2"})
    assert len(json.loads(proc.stdout)["passages"]) == 4


def test_report_hides_the_password_when_the_database_fails_mid_report(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import report
    from bot.gaps.service import Gaps

    def lost(*_: object) -> None:
        raise RuntimeError("server closed the connection unexpectedly")

    monkeypatch.setattr(report, "open_engine", lambda settings: None)
    monkeypatch.setattr(Gaps, "report", lost)
    url = "postgresql://coach:hunter2@db.example:5432/coach"
    proc = invoke("report", env={"DATABASE_URL": url})
    assert proc.exit_code == 1
    assert "DATABASE_URL=" in proc.stderr and "closed the connection" in proc.stderr
    assert "hunter2" not in proc.output + proc.stderr


def test_eval_explain_prints_passage_ids_and_bracketed_questions_as_text(
    shipped_library: Library, invoke: Invoke, tmp_path: Path
) -> None:
    """Rich markup once ate each `[passage-id]` and crashed on a question holding `[/]`."""
    path = tmp_path / "brackets.jsonl"
    question = "what does [/] mean when [bold]leaders[/bold] are born or made?"
    row = {"id": "b1", "question": question, "gold": ["zebra xylophone"]}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    proc = invoke("eval", str(path), "--explain", env={"COLUMNS": "400"})
    assert proc.exit_code == 0, proc.output
    assert question in proc.stdout
    shown = re.findall(r"shown \d \([\d.-]+\) \[([^\]]+)\]", proc.stdout)
    assert len(shown) == 3 and all(pid.split("#")[0] for pid in shown), proc.stdout


def test_a_console_set_up_from_env_example_prints_no_log_chatter(
    shipped_library: Library, run_coach: RunCoach, tmp_path: Path
) -> None:
    """README: `cp .env.example .env`. Its LOG_LEVEL=INFO line used to count as asking for
    INFO, so the console printed "embedding model loaded" between question and answer."""
    shutil.copy(REPO_ROOT / ".env.example", tmp_path / ".env")
    proc = run_coach("console", stdin=CELEBRATE + "\n", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Celebration of achievements is essential" in proc.stdout
    assert " INFO " not in proc.stderr, proc.stderr
