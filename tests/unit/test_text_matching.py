"""Treatments, concerns and areas are found in visitors' own words, typos too."""

from __future__ import annotations

from typing import List

import pytest

from actions.knowledge_base import KnowledgeBase
from actions.text_matching import Matcher, unique_values
from components.kb_entity_extractor import english_words


@pytest.fixture(scope="module")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher.from_knowledge_base(kb, english_words())


@pytest.mark.parametrize(
    ("text", "treatments"),
    [
        ("does microneedling hurt?", ["microneedling"]),
        ("Does micro-needling hurt", ["microneedling"]),
        ("is micro needling painful", ["microneedling"]),
        ("how long till I see results from thermage", ["thermage"]),
        ("Thermage FLX downtime?", ["thermage"]),
        ("meso for hair loss, how many sessions?", ["mesotherapy"]),
        ("how many sesions of mesotheraphy", ["mesotherapy"]),
        ("is thermagee safe", ["thermage"]),
        ("microneedeling for scars", ["microneedling"]),
        ("RF microneedling vs microneedling", ["rf_microneedling", "microneedling"]),
        ("radiofrequency microneedling aftercare", ["rf_microneedling"]),
        ("Morpheus 8 pain", ["rf_microneedling"]),
        ("morpheus8 or thermage for jowls", ["rf_microneedling", "thermage"]),
        ("what is infrared skin tightening", ["infrared_laser"]),
        (
            "infrared laser vs laser skin tightening",
            ["infrared_laser", "laser_skin_tightening"],
        ),
        ("is laser tightening safe", ["laser_skin_tightening"]),
        ("I'll do it later", []),
        ("I'm needing some advice", []),
        ("what is the weather", []),
        ("", []),
    ],
)
def test_treatments(matcher: Matcher, text: str, treatments: List[str]) -> None:
    assert unique_values(matcher.find(text), "treatment") == treatments


def test_mentions_carry_offsets(matcher: Matcher) -> None:
    text = "Is Thermage FLX painful?"
    (mention,) = matcher.find(text)
    assert text[mention.start : mention.end] == mention.text
    assert mention.value == "thermage" and mention.exact


def test_concerns_and_areas(matcher: Matcher) -> None:
    mentions = matcher.find("what helps with acne scars on my neck")
    assert unique_values(mentions, "concern") == ["acne_scars"]
    assert unique_values(mentions, "area") == ["neck"]


def test_huge_text_is_bounded(matcher: Matcher) -> None:
    assert (
        unique_values(matcher.find("word " * 200_000 + "thermage"), "treatment") == []
    )
