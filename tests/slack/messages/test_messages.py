"""Pure parts of the Slack side: question cleaning, escaping, Block Kit builders."""

from __future__ import annotations

import json

import pytest
from slack_sdk.models.blocks import Block

from bot.slack.messages.answers import answer_message, no_answer_message
from bot.slack.messages.home import home_view
from bot.slack.messages.parts import button, citation, context, section
from bot.slack.messages.plain import plain_text
from bot.slack.messages.tips import shared_tip_message, tip_message
from bot.slack.messages.values import (
    ACTION_ANOTHER_TIP,
    ACTION_HELPFUL,
    ACTION_MORE,
    ACTION_NOT_HELPFUL,
    ACTION_SHARE_TIP,
    decode_value,
    encode_value,
)
from bot.slack.text import (
    ZWSP,
    clean_question,
    escape,
    safe_echo,
    well_formed,
)
from bot.small_talk import is_special_only
from index.types import ArticleMeta, Hit, OutOfScope, Passage, Quote, SearchResult

BOT = "UCOACHBOT"


def _valid(message: dict) -> None:
    assert message["text"].strip()
    assert len(message["blocks"]) <= 50
    for block in message["blocks"]:
        Block.parse(block).to_dict()


def _hit(rank: int, text: str, key: str, **meta: str | None) -> Hit:
    article = ArticleMeta(
        id=f"a{rank}",
        title=meta.get("title") or f"Article {rank}",
        author=meta.get("author"),
        source=meta.get("source"),
    )
    return Hit(rank, 1.0 / rank, Passage(f"a{rank}#0", article, 0, text), key)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"<@{BOT}> how do I motivate my reps?", "how do I motivate my reps?"),
        (f"<@{BOT}|coach>   how   do I coach?", "how do I coach?"),
        ("<@UOTHER> and I want <http://x.com|this guide> tips", "and I want this guide tips"),
        ("see <https://example.com/a?b=1&amp;c=2> now", "see now"),
        ("mail <mailto:a@b.co> or <mailto:a@b.co|Ann>", "mail a@b.co or Ann"),
        ("*bold* _italic_ ~strike~ `code` question", "bold italic strike code question"),
        ("&gt; quoted\nline &amp; more", "quoted line & more"),
        ("in <#C123|sales-team> please", "in #sales-team please"),
        ("@here how do I set territories fairly? @Channel", "how do I set territories fairly?"),
    ],
)
def test_clean_question(raw: str, expected: str) -> None:
    assert clean_question(raw, BOT) == expected


def test_special_mentions_never_survive_cleaning() -> None:
    q = clean_question(
        f"<@{BOT}> <!channel> <!here> <!everyone> <!subteam^S123|@sales> <@UINTRUDER> help", BOT
    )
    assert "<" not in q and ">" not in q
    assert "help" in q


def test_literal_at_channel_is_neutralised_when_echoed() -> None:
    echoed = safe_echo("ping @channel and @here <b>&")
    assert "@channel" not in echoed and "@here" not in echoed
    assert f"@{ZWSP}channel" in echoed
    assert "&lt;b&gt;&amp;" in echoed


def test_lone_surrogates_are_mended_everywhere_in_a_payload() -> None:
    body = {"event": {"text": "coach me \ud83d", "blocks": [{"t": "\udc00x"}]}, "n": 1}
    assert well_formed(body) is body  # in place: Bolt's listeners see the mended text
    assert body == {"event": {"text": "coach me \ufffd", "blocks": [{"t": "\ufffdx"}]}, "n": 1}
    assert well_formed("a 😀 pair stays") == "a 😀 pair stays"
    json.dumps(body, ensure_ascii=False).encode("utf-8")  # now storable and sendable


def test_escape_only_the_three_characters() -> None:
    assert escape("a & <b> 'c'") == "a &amp; &lt;b&gt; 'c'"


def test_emoji_names_are_not_words_of_the_question_but_times_and_ratios_are() -> None:
    assert is_special_only(clean_question(f"<@{BOT}> :thinking_face:", BOT))
    assert clean_question(":+1::skin-tone-2: coaching tips :fire:") == "coaching tips"
    assert clean_question("1:1s at 10:30: how long?") == "1:1s at 10:30: how long?"
    assert clean_question("Q3: pipeline: review") == "Q3: pipeline: review"


def test_bare_mention_is_special_only() -> None:
    assert is_special_only(clean_question(f"<@{BOT}>", BOT))
    assert is_special_only(clean_question(f"<@{BOT}> ?!", BOT))
    assert not is_special_only(clean_question(f"<@{BOT}> coaching?", BOT))


def test_answer_message_bolds_key_sentence_and_cites() -> None:
    hit = _hit(
        1,
        "Praise in public. Recognition keeps reps going. Celebrate wins.",
        "Recognition keeps reps going.",
        author="Mark Hunter",
        source="https://example.com/article",
    )
    result = SearchResult("q", True, (hit,), more=True)
    msg = answer_message(result, asked="how?", button_value="{}", more_value="{}")
    _valid(msg)
    quote = msg["blocks"][2]["text"]["text"]
    assert quote.startswith(">")
    assert "*Recognition keeps reps going.*" in quote
    cite = msg["blocks"][3]["elements"][0]["text"]
    assert "Article 1" in cite and "Mark Hunter" in cite
    assert "<https://example.com/article|" in cite
    actions = msg["blocks"][-1]["elements"]
    assert [a["action_id"] for a in actions] == [
        ACTION_HELPFUL,
        ACTION_NOT_HELPFUL,
        ACTION_MORE,
    ]


def test_no_more_button_when_nothing_more() -> None:
    hit = _hit(1, "Only passage.", "Only passage.")
    msg = answer_message(
        SearchResult("q", True, (hit,), more=False),
        asked="q",
        button_value="{}",
        more_value="{}",
    )
    ids = [a["action_id"] for a in msg["blocks"][-1]["elements"]]
    assert ACTION_MORE not in ids


def test_article_text_cannot_inject_mentions_or_links() -> None:
    hit = _hit(1, "Tell <!channel> & <@U1> to read [this](https://x.io) now.", "nothing")
    msg = answer_message(SearchResult("q", True, (hit,)), asked="<!here>", button_value="{}")
    dumped = json.dumps(msg)
    assert "<!channel>" not in dumped and "<!here>" not in dumped and "<@U1>" not in dumped
    assert "<https://x.io|this>" in msg["blocks"][2]["text"]["text"]


def test_untrusted_source_is_not_linked() -> None:
    cite = citation(ArticleMeta("a", "T", source="javascript:alert(1)"))
    assert "<javascript" not in cite


def test_truncated_answer_says_how_much_was_searched() -> None:
    """The number said is the searched question's length (cut between words: 494 of a
    500 limit), as the console says it, not the limit."""
    hit = _hit(1, "A passage.", "A passage.")
    msg = answer_message(
        SearchResult("word " * 98 + "word", True, (hit,), truncated=True),
        asked="x" * 5000,
        button_value="{}",
    )
    _valid(msg)
    assert "first 494 characters" in json.dumps(msg["blocks"])
    assert "first 494 characters" in msg["text"]
    assert len(msg["blocks"][0]["text"]["text"]) < 400  # the echo is shortened


def test_huge_passages_stay_within_section_limits() -> None:
    hits = tuple(_hit(i, "word " * 2000, "word") for i in range(1, 11))
    msg = answer_message(SearchResult("q", True, hits), asked="q", button_value="{}")
    _valid(msg)


def test_no_answer_suggests_from_topics_and_cites_nothing() -> None:
    msg = no_answer_message(asked="banana bread?", topics=["coaching", "hiring-reps"])
    _valid(msg)
    dumped = json.dumps(msg)
    assert "coaching" in dumped and "hiring reps" in dumped
    assert "context" not in [b["type"] for b in msg["blocks"]]  # no citation lines
    assert "banana bread" in msg["blocks"][0]["text"]["text"]


def test_an_out_of_scope_question_is_told_who_to_ask_and_nothing_pings() -> None:
    msg = no_answer_message(
        asked="is our non-compete enforceable?",
        topics=["coaching"],
        out_of_scope=OutOfScope(topic="non-competes", ask="your legal team <!channel>"),
    )
    _valid(msg)
    first = msg["blocks"][0]["text"]["text"]
    assert "non-competes" in first and "your legal team" in first
    assert "<!channel>" not in json.dumps(msg)
    assert "non-competes" in msg["text"]  # the notification says it too


def test_button_values_fit_slack_limit() -> None:
    value = encode_value({"q": "x" * 5000, "c": "y" * 5000, "o": 3})
    assert len(value) <= 2000
    data = json.loads(value)
    assert data["o"] == 3 and data["q"].startswith("x")
    assert decode_value("not json") == {}
    assert decode_value("[1, 2]") == {}


def test_tip_and_shared_tip() -> None:
    passage = _hit(1, "Coach weekly. Short one-on-ones beat long reviews.", "x").passage
    tip = tip_message(passage, topic="coaching")
    _valid(tip)
    ids = [e["action_id"] for e in tip["blocks"][-1]["elements"]]
    assert ids == [ACTION_SHARE_TIP, ACTION_ANOTHER_TIP]
    shared = shared_tip_message(passage, shared_by="U123ABC")
    _valid(shared)
    assert "Shared by <@U123ABC>" in json.dumps(shared)
    assert "shared by <@U123ABC>" in shared["text"]


def test_home_view_has_quote_examples_and_topics() -> None:
    view = home_view(
        topics=["coaching", "accountability"],
        quote=Quote("Lead from the front.", "Someone", article_title="An Article"),
    )
    assert view["type"] == "home"
    for block in view["blocks"]:
        Block.parse(block).to_dict()
    dumped = json.dumps(view)
    assert "Lead from the front." in dumped and "accountability" in dumped
    assert "Ask me things like" in dumped


def test_a_refused_message_as_plain_text_keeps_its_words_and_links_and_pings_no_one() -> None:
    message = {
        "text": "the fallback",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Tips <for> you"}},
            section("Hi <!channel>, <!here|here>, <!subteam^S1|@team> and @everyone"),
            {"type": "divider"},
            context("— *A Title* · <https://example.com/a|Read the article>"),
            {"type": "actions", "elements": [button("Helpful", "a", "v")]},
        ],
    }
    out = plain_text(message)
    assert set(out) == {"text"}
    assert out["text"].startswith("*Tips &lt;for&gt; you*\nHi &lt;!channel&gt;, ")
    assert "<!" not in out["text"] and "@everyone" not in out["text"]
    assert out["text"].endswith("\n\n— *A Title* · <https://example.com/a|Read the article>")
    assert plain_text({"text": "only <!here>", "blocks": [{"type": "divider"}]}) == {
        "text": "only &lt;!here&gt;"
    }
    huge = plain_text({"text": "x", "blocks": [section("y" * 2900)] * 50})
    assert len(huge["text"]) < 40_000 and huge["text"].endswith("…")
