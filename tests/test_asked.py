"""The questions each section answers (front matter `questions:`): leaders' own wording finds
the section that answers it, and a curator's slip names the file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from index.asked import AskedQuestions, AskedSignal
from index.content import load_articles, parse_article
from index.embedder import Embedder
from index.errors import ContentError
from index.ingest.catalog import check_content, list_content
from index.library import Library
from index.passages import headings
from index.search import FUSED_SIGNALS, QUESTION_SIGNALS, HybridSearcher
from index.types import ArticleMeta, Passage
from tests.library_fixtures import write_article


def _z(signal: np.ndarray) -> np.ndarray:
    spread = float(signal.std())
    return (signal - signal.mean()) / spread if spread > 1e-9 else signal * 0.0


BODY = """## Keep your distance

Someone promoted from the team finds it hard to hold former peers to account.

## Weekly meetings

Keep the weekly meeting short: the numbers, one win, the next steps."""


PADDED_FORECAST = "my reps keep padding the forecast with deals that never close"


def test_a_leaders_own_wording_finds_the_section_whose_questions_it_matches(
    shipped_library: Library, bundled_library: Library
) -> None:
    """Forecast padding is a matter of coaching reps to report the truth; without the
    sections' questions the first passage is about keeping the CRM as the record."""
    first = shipped_library.search(PADDED_FORECAST).hits[0].passage
    assert (first.article.id, first.section) == (
        "sales-forecast-accuracy",
        "Coach for truth, not optimism",
    )
    searcher = bundled_library.searcher  # no curated questions: no adapter either
    bare = HybridSearcher(
        searcher.passages, searcher.dense, searcher.embedder, vocabulary=searcher.vocabulary
    )
    without = bare.search_many([PADDED_FORECAST])[0].hits[0].passage
    assert without.section != "Coach for truth, not optimism"


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("my team hates updating the CRM", "choosing-a-crm-for-a-small-sales-team"),
        ("how long until a new hire is productive", "ramping-new-reps-onboarding-survey"),
    ],
)
def test_an_article_without_questions_yet_is_not_buried(
    shipped_library: Library, question: str, article: str
) -> None:
    """An article just added has no `questions:` yet: its standing on its own text stands in
    for them, so it comes first where its text is the best answer, rather than below every
    article a curator has described. (With its questions it is among the first three, third
    for the ramp question since the curated questions weigh 8: the onboarding article's two
    passages on how soon new hires reach quota are as good an answer.)"""
    searcher = shipped_library.searcher
    assert article in {h.passage.article.id for h in searcher.rank_all(question)[:3]}
    fresh = searcher.with_asked(searcher.asked.without(article))
    assert fresh.rank_all(question)[0].passage.article.id == article


def test_a_question_under_no_heading_names_the_file_and_line(tmp_path: Path) -> None:
    path = write_article(
        tmp_path,
        "peers",
        BODY,
        extra='questions:\n  "Keep your distance":\n    - "how do I manage my old peers?"\n'
        '  "Hiring":\n    - "what should I look for in a rep?"',
    )
    with pytest.raises(ContentError, match=r"peers\.md:7: questions: 'Hiring' is not a heading"):
        parse_article(path)
    problems = [str(p) for p in check_content(tmp_path, date.today())]
    assert any("peers.md" in p and "'Hiring' is not a heading" in p for p in problems)


def test_questions_must_be_a_list_under_each_heading(tmp_path: Path) -> None:
    path = write_article(
        tmp_path, "peers", BODY, extra='questions:\n  "Keep your distance": how do I manage?'
    )
    with pytest.raises(ContentError, match=r"peers\.md:5: .*needs a list of questions"):
        parse_article(path)
    path = write_article(tmp_path, "peers", BODY, extra="questions: [a, b]")
    with pytest.raises(ContentError, match=r"peers\.md:4: questions must map a section"):
        parse_article(path)


def test_the_title_keys_the_text_before_the_first_heading(tmp_path: Path) -> None:
    path = write_article(
        tmp_path,
        "peers",
        "Opening words.\n\n" + BODY,
        title="Managing Former Peers",
        extra='questions:\n  "Managing Former Peers":\n    - "I was promoted over my friends"',
    )
    assert parse_article(path).questions == ((None, ("I was promoted over my friends",)),)


def test_every_shipped_section_has_the_questions_it_answers(shipped_library: Library) -> None:
    """The curator's promise for the shipped library: no section that leaders' own words
    cannot reach through its questions."""
    for article in shipped_library.articles:
        keyed = {heading for heading, asked in article.questions if asked}
        sections = {p.section for p in shipped_library.passages if p.article.id == article.meta.id}
        assert sections <= keyed, f"{article.path}: no questions for {sections - keyed}"
    assert len(shipped_library.searcher.asked) >= 300


def test_question_vectors_are_kept_in_the_index_folder(
    tmp_path: Path, lib_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`coach ask` starts without embedding the curated questions again; edited questions
    are embedded once more and the old vectors go."""
    content = tmp_path / "content"
    content.mkdir()
    extra = 'questions:\n  "Keep your distance":\n    - "how do I manage my old peers?"'
    write_article(content, "peers", BODY, extra=extra)
    asked = AskedQuestions.of(load_articles(content))
    first = asked.vectors(lib_embedder, tmp_path)
    assert first.shape == (1, lib_embedder.dimensions)

    def no_model(*args: object, **kwargs: object) -> object:
        raise AssertionError("embedded again")

    monkeypatch.setattr(lib_embedder, "encode", no_model)
    assert np.allclose(asked.vectors(lib_embedder, tmp_path), first)
    monkeypatch.undo()
    write_article(content, "peers", BODY, extra=extra.replace("old peers", "former friends"))
    AskedQuestions.of(load_articles(content)).vectors(lib_embedder, tmp_path)
    assert len(list(tmp_path.glob("asked-*.npy"))) == 1


def test_headings_are_the_sections_passages_name() -> None:
    assert headings(BODY) == ["Keep your distance", "Weekly meetings"]


def test_content_list_shows_which_articles_lack_questions(tmp_path: Path) -> None:
    """A curator sees at a glance the sections leaders' own words cannot reach yet (an
    article just added with `coach content add` has none)."""
    extra = 'questions:\n  "Keep your distance":\n    - "how do I manage my old peers?"'
    write_article(tmp_path, "peers", BODY, extra=extra)
    write_article(tmp_path, "fresh", BODY, title="Fresh")
    rows = {r.id: r for r in list_content(tmp_path, date.today())}
    assert (rows["peers"].questions, rows["peers"].sections_without_questions) == (1, 1)
    assert (rows["fresh"].questions, rows["fresh"].sections_without_questions) == (0, 2)


def test_a_passage_without_questions_takes_its_texts_standing_in_their_place(
    shipped_library: Library,
) -> None:
    """For the passages of an article just added, the curated-question signal is replaced by
    how their own text ranks among the described passages (the text signals' z-sum, on the
    described passages' scale), so the weight the curated questions carry neither buries nor
    lifts them."""
    searcher = shipped_library.searcher
    article = "sales-one-on-ones"
    fresh = searcher.with_asked(searcher.asked.without(article))
    f = fresh.features("my one-on-ones keep turning into deal reviews")
    described = fresh._asked_signal().described
    new = np.array([p.article.id == article for p in fresh.passages])
    assert (new == ~described).all()
    text = sum(_z(f[n].astype("float64")) for n in FUSED_SIGNALS)
    text_in_place = (text - text[described].mean()) / text[described].std()
    weights = sum(fresh.tuning.weight(n) for n in QUESTION_SIGNALS)  # both stood in for
    expected = text + weights * text_in_place
    assert fresh.fused(f)[new] == pytest.approx(expected[new])


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype="float32")
    return vector / np.linalg.norm(vector)


def test_each_curated_question_belongs_to_the_passage_of_its_section_nearest_to_it() -> None:
    """The section's questions lift all its passages alike; the passage's own questions (each
    given to the passage of its section it is nearest to) tell those passages apart, so a
    question about what the second passage says ranks that passage above its neighbour."""
    meta = ArticleMeta(id="meetings", title="Team meetings")
    passages = [
        Passage(id="meetings#0", article=meta, position=0, text="Agenda.", section="Weekly"),
        Passage(id="meetings#1", article=meta, position=1, text="Quiet reps.", section="Weekly"),
        Passage(id="meetings#2", article=meta, position=2, text="Notes.", section="Weekly"),
        Passage(id="meetings#3", article=meta, position=3, text="New.", section="Fresh"),
    ]
    passage_vectors = np.stack([_unit(1, 0, 0), _unit(0, 1, 0), _unit(1, 1, 1), _unit(0, 0, 1)])
    asked = AskedQuestions(
        ("agenda for my weekly call?", "my rep never speaks up"),
        (("meetings", "Weekly"), ("meetings", "Weekly")),
    )
    vectors = np.stack([_unit(1, 0.1, 0), _unit(0.1, 1, 0)])
    signal = AskedSignal(asked, vectors, passages, passage_vectors)
    query = _unit(0.2, 1, 0)[None]
    section, own = signal.scores(signal.similarities(query))
    near_quiet, near_agenda = float(query[0] @ vectors[1]), float(query[0] @ vectors[0])
    assert section[0, :3].tolist() == pytest.approx([near_quiet] * 3)  # the section, alike
    assert own[0, 1] == pytest.approx(near_quiet)  # its own question
    assert own[0, 0] == pytest.approx(near_agenda)
    assert own[0, 2] == pytest.approx(near_agenda)  # given none: the section's least
    assert signal.described.tolist() == [True, True, True, False]
