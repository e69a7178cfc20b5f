"""A problem reported after a treatment is recognised; a hypothetical one is not."""

from __future__ import annotations

from typing import Optional

import pytest

from medspa.safety import Severity, assess


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I had microneedling 3 days ago and now there is pus and yellow crust",
            Severity.PROBLEM,
        ),
        ("my face is blistering after the laser yesterday", Severity.PROBLEM),
        # complications named as doctors name them, and a face disfigured
        (
            "I have post-inflammatory hyper pigmentation under my eye since the laser",
            Severity.PROBLEM,
        ),
        ("got PIH after my microneedling last week", Severity.PROBLEM),
        ("I have cellulitis on my cheek 4 days after microneedling", Severity.PROBLEM),
        ("my eyelid ptosis started after the meso last week", Severity.PROBLEM),
        ("can RF microneedling cause cellulitis or an abscess?", None),
        ("it has disfigured my face since I had IPL", Severity.PROBLEM),
        ("I had thermage yesterday and it was terribly painful", Severity.PROBLEM),
        ("can fraxel cause post inflammatory hyperpigmentation?", None),
        ("is PIH common after microneedling?", None),
        ("had thermage last week, I've got a burn on my jaw", Severity.PROBLEM),
        ("since my meso session my scalp is really swollen", Severity.PROBLEM),
        (
            "I think I'm having an allergic reaction after my RF microneedling",
            Severity.PROBLEM,
        ),
        ("after my infrared treatment I have hives all over my neck", Severity.PROBLEM),
        ("My throat feels tight after my meso injections", Severity.EMERGENCY),
        ("I can't breathe properly, got mesotherapy an hour ago", Severity.EMERGENCY),
        (
            "my lips are swollen and I feel faint, had treatment this morning",
            Severity.EMERGENCY,
        ),
        (
            "huge bruises on my tummy after meso, getting bigger, is this normal?",
            Severity.PROBLEM,
        ),
        (
            "the swelling from my microneedling keeps getting bigger, its day 4",
            Severity.PROBLEM,
        ),
        ("had vivace on thursday, now I have cold sores all over", Severity.PROBLEM),
        ("still lot of pain 5 days after rf microneedling, normal??", Severity.PROBLEM),
        ("my hair loss got worse after meso", Severity.PROBLEM),
        # months count as days and weeks do
        ("my face darkened 3 months after Fraxel", Severity.PROBLEM),
        ("had titan two months ago, now there's a dent in my jaw", Severity.PROBLEM),
        ("how many months after thermage will I see results?", None),
        (
            "had mesotherapy on my belly 2 weeks ago, the hardness is not going",
            Severity.PROBLEM,
        ),
        ("will my skin feel hardened after thermage?", None),
        ("can thermage cause burns?", None),
        ("my wrinkles are getting worse, what can help?", None),
        ("my skin is getting worse with age, would thermage help", None),
        ("how many days after meso can i exercise", None),
        ("will meso injections leave bruises", None),
        ("is there a risk of infection with microneedling?", None),
        ("will I get swollen after RF microneedling?", None),
        ("what if I get blisters?", None),
        ("how long does the redness last after microneedling", None),
        ("does it hurt", None),
        ("I had thermage last year and loved it, how long do results last?", None),
        ("", None),
    ],
)
def test_assess(text: str, expected: Optional[Severity]) -> None:
    assert assess(text) is expected


def test_huge_message_is_bounded() -> None:
    assert assess("blah " * 100_000 + "I had laser and now a burn") is None
