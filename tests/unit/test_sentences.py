"""Sentences, windows and the focus of a long post (pure, no Rasa)."""

from __future__ import annotations

import pytest

from medspa.sentences import (
    focus,
    located_windows,
    other_question,
    sentence_spans,
    sentences,
    windows,
)

STORY = "I read a lot of reviews. My friend had it last year and loved it. " * 4


def test_sentences_end_at_stops_and_line_breaks_not_decimals() -> None:
    text = "Is 3.5 mm deep? I had it (on my cheeks).\nThanks!  "
    assert sentences(text) == ["Is 3.5 mm deep?", "I had it (on my cheeks).", "Thanks!"]
    assert sentences("   ") == []


def test_windows_overlap_and_are_bounded() -> None:
    assert windows("One. Two. Three.") == ["One. Two.", "Two. Three."]
    assert windows("Just one?") == ["Just one?"]
    assert len(windows("Short. " * 100, limit=16)) == 16


@pytest.mark.parametrize(
    "text",
    [
        "Is 3.5 mm deep? I had it (on my cheeks).\nThanks!  ",
        "  One.  Two!\n\n Three?  Four…  five ",
        "Just one?",
        "",
        "Short. " * 40,
    ],
)
def test_spans_say_where_the_sentences_and_windows_are(text: str) -> None:
    assert [text[a:b] for a, b in sentence_spans(text)] == sentences(text)
    located = located_windows(text)
    assert [window for window, _ in located] == windows(text)
    for window, (a, b) in located:
        # a window's text joins its sentences with one space; its span is the
        # stretch of the message they fill
        assert " ".join(sentences(text[a:b])) == window


def test_a_short_message_is_its_own_focus() -> None:
    text = "does it hurt? I'm scared of needles"
    assert focus(text) == text


def test_a_post_is_read_for_its_title_question() -> None:
    post = "How many sessions of Morpheus8? " + STORY + "What do you think?"
    assert focus(post) == "How many sessions of Morpheus8?"


def test_without_a_title_question_the_body_questions_are_the_focus() -> None:
    post = "Hello doctor. " + STORY + "Does it hurt? Is it safe for dark skin?"
    assert focus(post) == "Does it hurt? Is it safe for dark skin?"


def test_a_post_asking_nothing_is_read_whole() -> None:
    post = "Hello doctor. " + STORY
    assert focus(post) == post


@pytest.mark.parametrize(
    ("text", "other"),
    [
        (
            "Is Fraxel painful? I had a laser years ago and it was fine but my "
            "friend scared me and now I am nervous about booking it at all. "
            "I have a wedding soon and I cannot look red in the photos. My "
            "sister flies in from abroad for it, so the date cannot move. "
            "How long is the downtime? Thanks.",
            "How long is the downtime?",
        ),
        ("Is Fraxel painful? How long is the downtime?", None),
        (
            "I had a laser years ago and it was fine but my friend scared me and "
            "now I am nervous about booking it at all, with a wedding soon. "
            "Is it painful? How long is the downtime?",
            None,
        ),
    ],
)
def test_other_question(text: str, other: object) -> None:
    assert other_question(text) == other
