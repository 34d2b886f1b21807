"""`coach index adapt`: the curator re-trains the library's model adapter on its curated
questions; `coach index status` says which adapter the library has and when it is older than
the library's questions. A tiny library (three articles, nine curated questions) trains in
seconds; each `coach` here is a fresh process, as the curator runs it."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.settings import default_model
from index.adapter import adapted_folder, adapter_about, weights_fingerprint
from tests.library_fixtures import COACH, REPO_ROOT, write_article

RunCoach = Callable[..., subprocess.CompletedProcess[str]]

ARTICLES = {
    "forecasting": (
        "Forecasting Without Sandbagging",
        """
## Ask for evidence, not confidence

A forecast is only as good as the evidence behind each deal. Ask every rep what the buyer
has done, not what the rep feels: a signed mutual plan, a meeting with the economic buyer,
a date for legal review. Deals without evidence move to the upside column.

## Review the pipeline weekly

Hold a short pipeline review every week at the same time. Walk the deals that moved, the
deals that stalled and the deals that are new, and end with one next step per deal.
""",
        {
            "Ask for evidence, not confidence": [
                "my reps keep padding the forecast with deals that never close, what do I do?",
                "how do I get honest forecast numbers from my team?",
            ],
            "Review the pipeline weekly": [
                "how often should I look at the pipeline with my reps?",
                "what does a good weekly pipeline review look like?",
            ],
        },
    ),
    "hiring": (
        "Hiring Your First Account Executives",
        """
## Write the scorecard first

Before you post the role, write a scorecard: the outcomes the hire must reach in their first
year and the competencies that get them there. Every interviewer scores against it.

## Run a realistic role play

Ask each finalist to run a discovery call with a colleague playing a buyer from your market.
Watch how they ask questions and listen, and how they take feedback.
""",
        {
            "Write the scorecard first": [
                "what should I look for when hiring my first AEs?",
                "how do I avoid hiring the wrong sales rep?",
            ],
            "Run a realistic role play": [
                "should candidates do a mock sales call in the interview?"
            ],
        },
    ),
    "burnout": (
        "Pacing Targets to Prevent Burnout",
        """
Set monthly milestones so a quarter is not won or lost in its last two weeks. Recognise the
reps who close early, and look at the pipeline created each month as closely as the deals
won. A team that paces its quarter has the energy left to start the next one well.
""",
        {
            "Pacing Targets to Prevent Burnout": [  # the title: the text before any heading
                "my team is exhausted at the end of every quarter, how do I fix that?",
                "how do I stop the end of quarter scramble?",
            ]
        },
    ),
}
QUESTIONS = sum(len(q) for _, _, asked in ARTICLES.values() for q in asked.values())


def write_library(folder: Path, *, questions: bool = True) -> Path:
    folder.mkdir(parents=True)
    for name, (title, body, asked) in ARTICLES.items():
        extra = f"questions: {json.dumps(asked)}" if questions else ""
        write_article(folder, name, body, title=title, extra=extra)
    return folder


@pytest.fixture(scope="module")
def trained(
    run_coach: RunCoach, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, str], subprocess.CompletedProcess[str]]:
    """The tiny library with an adapter `coach index adapt --rank 8` trained: its env. On
    torch, which training loads anyway: ONNX exports of the base and the adapted model would
    double the time (the ONNX path's adapted model: tests/test_model_adapter.py)."""
    root = tmp_path_factory.mktemp("adapt")
    env = {
        "CONTENT_DIR": str(write_library(root / "content")),
        "DATA_DIR": str(root / "data"),
        "EMBEDDING_BACKEND": "torch",
    }
    return env, run_coach("index", "adapt", "--epochs", "1", "--rank", "8", env=env)


@pytest.fixture
def trained_copy(
    trained: tuple[dict[str, str], subprocess.CompletedProcess[str]], tmp_path: Path
) -> tuple[dict[str, str], Path]:
    """The trained library's env, its content copied to this test's own folder (to change)."""
    env, proc = trained
    assert proc.returncode == 0, proc.stderr
    content = tmp_path / "content"
    shutil.copytree(env["CONTENT_DIR"], content)
    return {**env, "CONTENT_DIR": str(content)}, content


def test_adapt_writes_the_librarys_adapter_and_search_then_uses_it(
    trained: tuple[dict[str, str], subprocess.CompletedProcess[str]], run_coach: RunCoach
) -> None:
    env, proc = trained
    assert proc.returncode == 0, proc.stderr
    adapter = Path(env["CONTENT_DIR"]) / "model" / "adapter.safetensors"
    about = adapter_about(adapter)
    assert about["question_count"] == str(QUESTIONS) and about["rank"] == "8"
    assert about["epochs"] == "1" and about["seed"] == "13"
    assert about["base"] == weights_fingerprint(Path(default_model()))
    assert about["trained"] == datetime.now(UTC).date().isoformat()
    assert "batch 2/2" in proc.stderr  # progress: batches done of all
    assert "2 batches (1 epoch(s)); about 14 s on 2 cores" in proc.stderr  # its own size
    assert f"wrote {adapter} (" in proc.stdout and f"{QUESTIONS} curated questions" in proc.stdout
    assert "coach index build" in proc.stdout
    assert "a running `coach serve` searches with it at its next look" in proc.stdout

    status = run_coach("index", "status", env=env)
    assert status.returncode == 0, status.stderr
    assert (
        f"adapter:   {adapter} (trained {about['trained']} on {QUESTIONS} curated questions, "
        "rank 8)"
    ) in status.stdout
    assert "warning" not in status.stdout

    ask = run_coach("ask", "--json", "my reps pad the forecast, what now?", env=env)
    assert ask.returncode == 0, ask.stderr
    assert json.loads(ask.stdout)["passages"][0]["article"]["id"] == "forecasting"
    model = adapted_folder(adapter, Path(env["DATA_DIR"]) / "index")
    assert (model / "model.safetensors").is_file()  # the adapted model, made for the index
    manifest = json.loads((Path(env["DATA_DIR"]) / "index" / "manifest.json").read_text())
    assert manifest["model"] == str(model)


def test_status_says_the_adapter_is_older_than_the_librarys_questions(
    trained_copy: tuple[dict[str, str], Path], run_coach: RunCoach
) -> None:
    env, content = trained_copy
    article = content / "burnout.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(
        text.replace('scramble?"]', 'scramble?", "why is my team burnt out by week ten?"]'),
        encoding="utf-8",
    )
    status = run_coach("index", "status", env=env)
    assert (
        f"  warning: trained on {QUESTIONS} curated questions; the library now has "
        f"{QUESTIONS + 1}: run `coach index adapt`"
    ) in status.stdout.splitlines()

    article.write_text(text.replace("scramble?", "rush?"), encoding="utf-8")  # as many, reworded
    status = run_coach("index", "status", env=env)
    assert (
        f"  warning: trained on {QUESTIONS} curated questions; they changed since: run "
        "`coach index adapt`"
    ) in status.stdout.splitlines()


def test_a_library_without_curated_questions_is_refused_in_one_line(
    run_coach: RunCoach, tmp_path: Path
) -> None:
    content = write_library(tmp_path / "content", questions=False)
    env = {"CONTENT_DIR": str(content), "DATA_DIR": str(tmp_path / "data")}
    proc = run_coach("index", "adapt", env=env)
    assert proc.returncode == 1
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"error: {content}: no curated questions to train on"), line
    assert "front matter `questions:`" in line
    assert not (content / "model").exists() and not (tmp_path / "data").exists()
    status = run_coach("index", "status", env=env)
    assert "adapter:   none" in status.stdout


def test_a_model_that_is_no_local_folder_is_one_line_naming_embedding_model(
    run_coach: RunCoach, tmp_path: Path
) -> None:
    content = write_library(tmp_path / "content")
    folder = tmp_path / "model-without-safetensors"
    folder.mkdir()
    env = {"CONTENT_DIR": str(content), "DATA_DIR": str(tmp_path), "EMBEDDING_MODEL": str(folder)}
    proc = run_coach("index", "adapt", env=env)
    assert proc.returncode == 1
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"error: EMBEDDING_MODEL={folder} is no local model folder"), line
    assert not (content / "model").exists()


def test_ctrl_c_while_training_writes_nothing(
    trained_copy: tuple[dict[str, str], Path], coach_env: dict[str, str]
) -> None:
    env, content = trained_copy
    adapter = content / "model" / "adapter.safetensors"
    before = adapter.read_bytes()
    child = subprocess.Popen(
        [str(COACH), "index", "adapt"],
        env={**coach_env, **env},
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a test run in the background ignores SIGINT, and its children would too
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert child.stderr is not None
    for line in child.stderr:
        if line.startswith("training on"):
            break
    child.send_signal(signal.SIGINT)  # the model loading or training
    out, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert "stopped: nothing written" in err and out == ""
    assert adapter.read_bytes() == before
    assert sorted(p.name for p in adapter.parent.iterdir()) == ["adapter.safetensors"]
