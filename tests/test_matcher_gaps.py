"""Skill-gap report: asked and unlock counts, required/preferred marks, grouping, ordering."""

from __future__ import annotations

import json

import pytest

from matcher import Analysis, MatchResult, ProfileSpec, load_taxonomy
from matcher.gaps import GapGroup, skill_gaps

TAX = load_taxonomy()
PROFILE = ProfileSpec(name="ana", skills=["python3", "SQL"])  # a synonym: canonical Python


def _a(skills, required=(), preferred=()) -> Analysis:
    return Analysis(
        is_internship=True,
        internship_evidence="",
        sector="tech",
        sector_scores={"tech": 1.0},
        role="ml_engineering",
        skills=list(skills),
        required_skills=list(required),
        preferred_skills=list(preferred),
    )


def _r(score: float) -> MatchResult:
    return MatchResult(score=score, parts={}, matched_skills=[], missing_skills=[], reasons=[])


MATCHES = [
    # 0: required coverage 2/3 -> 0.7 x 2/3 = 0.47. PyTorch completes the required skills;
    # Docker (preferred) lifts it to 0.77, across the 0.5 threshold.
    (_a(["Python", "SQL", "PyTorch", "Docker"], ["Python", "SQL", "PyTorch"], ["Docker"]), _r(0.9)),
    # 1: unmarked, coverage 1/5; any one skill only reaches 2/5: nothing unlocks it.
    (_a(["Python", "PyTorch", "AWS", "Docker", "Kafka"]), _r(0.8)),
    # 2: unmarked, PyTorch is the only missing skill.
    (_a(["Python", "SQL", "PyTorch"]), _r(0.7)),
    # 3: coverage 0.7 x 1/2 = 0.35; AWS completes the required (0.7); PyTorch or Docker lift
    # it to 0.35 + 0.3 x 1/2 = 0.5.
    (_a(["Python", "AWS", "PyTorch", "Docker"], ["Python", "AWS"], ["PyTorch", "Docker"]), _r(0.6)),
    # 4: a workplace skill is reported but never unlocks.
    (_a(["Python", "Communication"]), _r(0.5)),
    # 5: lowest score: outside the top 5.
    (_a(["Python", "Tableau"]), _r(0.1)),
]


def _by_skill(groups: list[GapGroup]) -> dict:
    return {s.skill: s for g in groups for s in g.skills}


def test_counts_unlocks_and_marks() -> None:
    groups = skill_gaps(PROFILE, MATCHES, TAX, top_n=5)
    gaps = _by_skill(groups)
    assert "Python" not in gaps and "SQL" not in gaps  # the profile has them
    assert "Tableau" not in gaps  # only in a posting outside the top 5

    pytorch = gaps["PyTorch"]
    assert (pytorch.asked, pytorch.unlocks) == (4, 3)
    assert pytorch.asked_by == [0, 1, 2, 3] and pytorch.unlocked == [0, 2, 3]
    assert (pytorch.required, pytorch.preferred, pytorch.unmarked) == (1, 1, 2)
    assert pytorch.mostly == "required"  # ties go to required

    aws = gaps["AWS"]
    assert (aws.asked, aws.unlocks, aws.unlocked) == (2, 1, [3])
    assert aws.mostly == "required"
    docker = gaps["Docker"]
    assert (docker.asked, docker.unlocks, docker.unlocked) == (3, 2, [0, 3])
    assert (docker.required, docker.preferred, docker.unmarked) == (0, 2, 1)
    assert docker.mostly == "preferred"
    kafka = gaps["Kafka"]
    assert (kafka.asked, kafka.unlocks, kafka.mostly) == (1, 0, "unmarked")
    comm = gaps["Communication"]
    assert (comm.asked, comm.unlocks, comm.group) == (1, 0, "workplace")


def test_grouping_and_order() -> None:
    groups = skill_gaps(PROFILE, MATCHES, TAX, top_n=5)
    assert [g.group for g in groups] == [
        "ml_frameworks",  # PyTorch: 3 postings unlocked
        "mlops",  # Docker: 2 unlocked
        "cloud",  # AWS: 1 unlocked, 2 asking
        "data_engineering",  # Kafka: 0 unlocked, 1 asking ...
        "workplace",  # ... tie with Communication: the taxonomy's group order decides
    ]
    assert groups[0].label == "ML frameworks" and groups[-1].label == "Workplace skills"
    assert (groups[0].unlocks, groups[0].asked) == (3, 4)


def test_skills_sorted_by_unlocks_then_asks_then_name() -> None:
    matches = [
        (_a(["Python", "Docker", "Kubernetes", "MLflow", "AWS"]), _r(0.9)),
        (_a(["Python", "Docker", "MLflow"]), _r(0.8)),
        (_a(["Python", "SQL", "Terraform"]), _r(0.7)),
    ]
    groups = skill_gaps(PROFILE, matches, TAX)
    mlops = next(g for g in groups if g.group == "mlops")
    # Terraform completes posting 2; Docker and MLflow lift posting 1 to 2/3 and are asked
    # twice; Kubernetes is asked once and unlocks nothing. Docker and MLflow tie: by name.
    assert [(s.skill, s.unlocks, s.asked) for s in mlops.skills] == [
        ("Docker", 1, 2),
        ("MLflow", 1, 2),
        ("Terraform", 1, 1),
        ("Kubernetes", 0, 1),
    ]


def test_coverage_threshold_crossing() -> None:
    # Unmarked 1 of 3 -> adding one gives 2/3 >= 0.5: each missing skill unlocks it.
    crossing = skill_gaps(PROFILE, [(_a(["Python", "Docker", "AWS"]), _r(0.5))], TAX)
    assert all(s.unlocks == 1 for s in _by_skill(crossing).values())
    # Already above the threshold (0.7 x 1/2 + 0.3 x 1 = 0.65): only AWS, the last missing
    # required skill, unlocks it (by completing the required skills).
    at = skill_gaps(PROFILE, [(_a(["Python", "AWS", "SQL"], ["Python", "AWS"], ["SQL"]), _r(1))])
    assert _by_skill(at)["AWS"].unlocks == 1


def test_deterministic_and_order_independent() -> None:
    first = skill_gaps(PROFILE, MATCHES, TAX, top_n=5)
    assert skill_gaps(PROFILE, MATCHES, TAX, top_n=5) == first
    reversed_input = list(reversed(MATCHES))
    again = skill_gaps(PROFILE, reversed_input, TAX, top_n=5)
    summary = [[(s.skill, s.asked, s.unlocks) for s in g.skills] for g in first]
    assert [[(s.skill, s.asked, s.unlocks) for s in g.skills] for g in again] == summary


def test_ties_in_score_keep_input_order_for_top_n() -> None:
    matches = [(_a(["Python", "Docker"]), _r(0.5)), (_a(["Python", "AWS"]), _r(0.5))]
    assert set(_by_skill(skill_gaps(PROFILE, matches, TAX, top_n=1))) == {"Docker"}
    assert set(_by_skill(skill_gaps(PROFILE, matches[::-1], TAX, top_n=1))) == {"AWS"}


def test_top_n_and_empty() -> None:
    assert "Tableau" in _by_skill(skill_gaps(PROFILE, MATCHES, TAX, top_n=6))
    assert skill_gaps(PROFILE, [], TAX) == []
    assert skill_gaps(PROFILE, MATCHES, TAX, top_n=0) == []
    everything = ProfileSpec(name="all", skills=["python", "sql", "tableau"])
    assert skill_gaps(everything, [MATCHES[5]], TAX) == []


def test_unknown_skills_go_to_other_and_json() -> None:
    groups = skill_gaps(PROFILE, [(_a(["Python", "Quantum Basket Weaving"]), _r(0.5))], TAX)
    assert [(g.group, g.label) for g in groups] == [("other", "Other skills")]
    data = json.loads(json.dumps([g.to_dict() for g in groups]))
    assert data[0]["skills"][0]["skill"] == "Quantum Basket Weaving"
    assert data[0]["skills"][0]["mostly"] == "unmarked"


@pytest.mark.parametrize("share", [0.0, 0.3])
def test_weights_are_the_scorers(share: float) -> None:
    # Required 1 of 2 (0.5 x (1 - share)); with share 0 preferred skills don't count at all.
    m = [(_a(["Python", "AWS", "Docker"], ["Python", "AWS"], ["Docker"]), _r(1))]
    gaps = _by_skill(skill_gaps(PROFILE, m, TAX, weights={"skills_preferred_share": share}))
    assert gaps["Docker"].unlocks == (1 if share == 0.3 else 0)
