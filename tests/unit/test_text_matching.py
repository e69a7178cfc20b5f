"""Treatments, concerns and areas are found in visitors' own words, typos too."""

from __future__ import annotations

from typing import List

import pytest

from medspa.knowledge_base import KnowledgeBase
from medspa.text_matching import (
    GENERIC,
    Matcher,
    english_words,
    negated,
    unique_values,
)


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
        ("radiofrequncy microneedling downtime", ["rf_microneedling"]),
        ("lazer skin tightning cost", ["laser_skin_tightening"]),
        ("is IR skin tightening safe", ["infrared_laser"]),
        ("is skin tightening safe", []),
        ("thermage or microneedling", ["thermage", "microneedling"]),
        ("laser hair removal for legs", []),
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


@pytest.mark.parametrize(
    ("text", "others", "treatments"),
    [
        ("do you do botox?", ["botox"], []),
        ("laser hair removal for legs how much", ["laser_hair_removal"], []),
        ("lip filler prices", ["fillers"], []),
        ("is thermage better than a facelift", ["surgery"], ["thermage"]),
        ("I feel great after my facial", [], []),
        (
            "Is there any downtime after my Elite + treatment?",
            ["laser_hair_removal"],
            [],
        ),
        ("How does Elite+ technology work?", ["laser_hair_removal"], []),
        ("is Clear + Brilliant a laser?", [], ["laser_skin_tightening"]),
        ("clear+brilliant or botox", ["botox"], ["laser_skin_tightening"]),
        ("microneedling + PRP", ["prp"], ["microneedling"]),
        ("miraDry for sweaty underarms", ["sweat_treatment"], []),
        ("EvolveX or VelaShape for my belly?", ["body_contouring"], []),
        ("is a micro peel the same as a chemical peel", ["chemical_peel"], []),
        ("do you do peels", ["chemical_peel"], []),
        ("I got my peel done last week", ["chemical_peel"], []),
        ("will my skin peel after the laser", [], []),
        ("how long will my skin peel after microneedling", [], ["microneedling"]),
        ("polynucleotides under the eyes", ["skin_boosters"], []),
        ("do you do IV drips or B12 shots", ["wellness_injections"], []),
        ("can you do a mole check", ["medical_dermatology"], []),
        ("how long do lash extensions last", ["beauty_services"], []),
        ("do you offer facial cupping", ["beauty_services"], []),
        ("does it hurt more than waxing", [], []),
        ("thermismooth around the eyes", ["rf_devices"], []),
        ("hair transplant or microneedling", ["surgery"], ["microneedling"]),
        ("does microneedling stimulate fibroblasts", [], ["microneedling"]),
        ("do you check my skin before the treatment", [], []),
        (
            "subcision or microneedling for rolling scars",
            ["scar_procedures"],
            ["microneedling"],
        ),
        ("is TCA CROSS good for ice pick scars", ["scar_procedures"], []),
        ("can I dermaplane before my appointment", ["chemical_peel"], []),
        ("microneedling with exosomes", ["exosomes"], ["microneedling"]),
        ("does a microcurrent facial lift the face", ["microcurrent"], []),
        ("PRF under the eyes", ["prp"], []),
        ("is Votiva painful", ["intimate_treatments"], []),
        ("is there downtime with injectables?", ["injectables"], []),
        ("is mesotherapy an injectable treatment", ["injectables"], ["mesotherapy"]),
        ("Excel V for redness", ["other_lasers"], []),
        ("is the AviClear laser good for acne", ["acne_laser"], []),
        ("is a laser acne treatment painful", ["acne_laser"], []),
        ("laser treatment for acne scars", [], []),
        ("how much is SmartXide DOT", ["ablative_resurfacing"], []),
        ("does a pigment laser fade freckles", ["pico_laser"], []),
        (
            "is laser skin tightening good for pigmentation",
            [],
            ["laser_skin_tightening"],
        ),
        ("Fotona 4D or a facelift?", ["other_lasers", "surgery"], []),
        ("what is a 4D laser facelift", ["other_lasers"], []),
        ("CO2RE laser recovery", ["ablative_resurfacing"], []),
        ("LaseMD for melasma", ["other_lasers"], []),
        ("do lipo shots work", ["wellness_injections"], []),
        ("Lipo-C or B12?", ["wellness_injections"], []),
        ("fat dissolving injections under the chin", ["kybella"], []),
        ("coolsculpt on my belly", ["body_contouring"], []),
        ("Profhilo or Restylane Skinboosters?", ["skin_boosters"], []),
        ("Juvederm Volite", ["skin_boosters"], []),
        ("Juvederm lips", ["fillers"], []),
        ("is near-infrared light therapy good for collagen", ["light_therapy"], []),
        ("how does an infrared mask work", ["light_therapy"], []),
        ("NIR light therapy at home", ["light_therapy"], []),
        ("do infrared body wraps work", ["light_therapy"], []),
        ("Oligio vs Tripollar", ["rf_devices"], []),
        ("is Forma painful", ["rf_devices"], []),
        ("bipolar RF skin tightening", ["rf_devices"], []),
        ("is nano-needling the same thing", ["nano_needling"], []),
        ("dry needling for wrinkles", ["acupuncture"], []),
        ("carboxytherapy for dark circles", ["carboxytherapy"], []),
        ("Carboxy, an injectable CO2 treatment", ["carboxytherapy"], []),
        ("Cosmelan peel for melasma", ["chemical_peel"], []),
        ("micropeeling or a meso peel", ["chemical_peel"], []),
        ("Ultracel Q+ or Doublo", ["ultherapy"], []),
        ("ultrasonic cavitation on my thighs", ["body_contouring"], []),
        ("low level laser therapy for hair loss", ["light_therapy"], []),
        ("Ellanse in the cheeks", ["fillers"], []),
        ("meso botox for pores", ["botox"], []),
        ("vaginal laser tightening", ["intimate_treatments"], []),
        ("Invisalign or porcelain veneers?", ["dental"], []),
        ("is Isolaz good for acne", ["acne_light"], []),
        ("GAINSWave results", ["shockwave_therapy"], []),
        ("hyperbaric oxygen therapy for my skin", ["hyperbaric_oxygen"], []),
        ("Teosyal RHA in the lips", ["fillers"], []),
        ("a lymphatic drainage massage after microneedling?", [], ["microneedling"]),
        ("I have an accent", [], []),
        ("what is the surface of the skin like after", [], []),
        ("my proof of address", [], []),
    ],
)
def test_treatments_not_offered(
    matcher: Matcher, text: str, others: List[str], treatments: List[str]
) -> None:
    mentions = matcher.find(text)
    assert unique_values(mentions, "other_treatment") == others
    assert unique_values(mentions, "treatment") == treatments


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("I really don't want botox, what are my options?", "botox", True),
        ("any alternatives to fillers?", "fillers", True),
        ("tighter skin without surgery", "surgery", True),
        ("something instead of a facelift", "facelift", True),
        ("what is a non-surgical facelift", "facelift", True),
        ("do you do botox", "botox", False),
        ("how much is botox", "botox", False),
    ],
)
def test_negated_names(text: str, name: str, expected: bool) -> None:
    assert negated(text, text.index(name)) is expected


@pytest.mark.parametrize(
    ("text", "treatments", "others"),
    [
        ("NIR laser for wrinkles", ["infrared_laser"], []),
        ("is near-infrared skin tightening safe", ["infrared_laser"], []),
        ("SkinTyte or Titan?", ["infrared_laser"], []),
        ("Morpheus8, Vivace, Potenza or Secret RF?", ["rf_microneedling"], []),
        ("Infini and Lutronic Genius", ["rf_microneedling"], []),
        ("Fractora vs Matrix RF vs Sublative", ["rf_microneedling"], []),
        ("Thermage FLX or CPT", ["thermage"], []),
        ("Fraxel Restore Dual", ["laser_skin_tightening"], []),
        ("clear + brilliant", ["laser_skin_tightening"], []),
        ("non-ablative fractional laser downtime", ["laser_skin_tightening"], []),
        ("Lumenis ResurFX downtime", ["laser_skin_tightening"], []),
        ("laser facial skin tightening", ["laser_skin_tightening"], []),
        ("erbium glass laser downtime", ["laser_skin_tightening"], []),
        ("Intensif on the jowls", ["rf_microneedling"], []),
        ("infrared laser or red light therapy", ["infrared_laser"], ["light_therapy"]),
        # a kind of treatment right after a device not offered describes the device
        ("Fotona laser skin tightening", [], ["other_lasers"]),
        ("CO2 laser tightening recovery", [], ["ablative_resurfacing"]),
        ("Yag Laser Skin Tightening FAQ", [], ["other_lasers"]),
        ("Oligio monopolar RF", [], ["rf_devices"]),
        ("Pelleve RF skin tightening", [], ["rf_devices"]),
        ("IPL laser treatment", [], ["ipl"]),
        # a treatment offered, not a kind of treatment: both are named
        ("PRP microneedling", ["microneedling"], ["prp"]),
        # not right after the device: the visitor names both
        ("Botox and laser skin tightening", ["laser_skin_tightening"], ["botox"]),
        ("Fotona or RF skin tightening?", ["thermage"], ["other_lasers"]),
        ("SkinPen or a derma roller at home", ["microneedling"], []),
        ("mesolift and lipodissolve", ["mesotherapy"], []),
        ("fractional CO2 laser downtime", [], ["ablative_resurfacing"]),
        ("CO2 fractional laser", [], ["ablative_resurfacing"]),
        ("erbium laser resurfacing", [], ["ablative_resurfacing"]),
        ("CO2 fractional laser resurfacing", [], ["ablative_resurfacing"]),
        (
            "is Fraxel laser skin resurfacing right for me",
            ["laser_skin_tightening"],
            [],
        ),
        ("Fraxel Repair recovery", [], ["ablative_resurfacing"]),
        ("Ultherapy or Kybella", [], ["ultherapy", "kybella"]),
        ("is it ok for my skin type", [], []),
        ("you're a genius", [], []),
        ("does the laser hurt", [], []),
        ("IPL (intense pulsed light) laser for sun spots", [], ["ipl"]),
        ("fractional lasers: is CO2 the best one?", [], ["ablative_resurfacing"]),
        ("Fraxel CO2 while pregnant? Is fraxel safe", [], ["ablative_resurfacing"]),
        (
            "Fraxel Restore or Fraxel Repair?",
            ["laser_skin_tightening"],
            ["ablative_resurfacing"],
        ),
        # device and product names researched on public pages (not corpus items)
        ("Palomar LuxIR for jowls", ["infrared_laser"], []),
        ("Eclipse MicroPen or RejuvaPen?", ["microneedling"], []),
        ("NCTF 135HA under the eyes", ["mesotherapy"], []),
        ("CoolPeel recovery", [], ["ablative_resurfacing"]),
        ("Clarity II for veins", [], ["other_lasers"]),
        ("hyaluronidase to dissolve filler", [], ["fillers"]),
        ("Silhouette InstaLift", [], ["threads"]),
        ("salmon DNA (PDRN) injections", [], ["skin_boosters"]),
        ("Endermologie or Vanquish for cellulite", [], ["body_contouring"]),
        ("photodynamic therapy with Levulan", [], ["photodynamic_therapy"]),
        ("do you do skin tag removal", [], ["medical_dermatology"]),
        ("teeth whitening", [], ["beauty_services"]),
        ("BHRT pellets", [], ["hormone_therapy"]),
        ("a cryo facial", [], ["cryotherapy"]),
        ("Hollywood Spectra peel", [], ["laser_facial"]),
        ("scalp microneedling for hair loss", ["microneedling"], []),
        ("in the limelight", [], []),
        ("Icon 1540 or Frax 1550?", ["laser_skin_tightening"], []),
        ("Clear + Brilliant Permea", ["laser_skin_tightening"], []),
        ("Emerge laser or a thulium laser (Lavieen)", ["laser_skin_tightening"], []),
        ("a derma stamp at home", ["microneedling"], []),
        ("Lumenis Legend M2 or Legend Pro?", ["rf_microneedling"], ["rf_devices"]),
        ("BroadBand Light for redness", [], ["ipl"]),
        ("Vivace Ultra or Scarlet SRF?", ["rf_microneedling"], []),
        ("Dermapen 4 at a salon", ["microneedling"], []),
        ("Thermage NXT or the FLX", ["thermage"], []),
        ("the Lutronic Mosaic laser", ["laser_skin_tightening"], []),
        ("a meso gun for hair loss", ["mesotherapy"], []),
        # a squashed brand ("microneedlingrf") would take "microneedling in" for
        # itself with two typos: such names stay out of the knowledge base
        ("Can I go swimming after microneedling in Malta?", ["microneedling"], []),
        ("the icon on your website", [], []),
    ],
)
def test_names_as_the_public_writes_them(
    matcher: Matcher, text: str, treatments: List[str], others: List[str]
) -> None:
    mentions = matcher.find(text)
    assert unique_values(mentions, "treatment") == treatments
    assert unique_values(mentions, "other_treatment") == others


@pytest.mark.parametrize(
    ("text", "meanings"),
    [
        ("does the laser hurt", ["laser_skin_tightening", "infrared_laser"]),
        ("are lazer treatments safe", ["laser_skin_tightening", "infrared_laser"]),
        ("fractional laser downtime", ["laser_skin_tightening"]),
        ("what are side effects of laser resurfacing?", ["laser_skin_tightening"]),
        ("erbium laser resurfacing", []),
        ("IPL laser for sun spots", []),
        ("Fraxel or laser?", ["laser_skin_tightening", "infrared_laser"]),
    ],
)
def test_a_generic_word_is_read_once_per_treatment_it_may_mean(
    matcher: Matcher, text: str, meanings: List[str]
) -> None:
    assert unique_values(matcher.find(text), GENERIC) == meanings
