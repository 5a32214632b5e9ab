"""The synthetic population of each bundled policy is mixed like a real county's: most
applicants eligible, some ineligible for each of several common reasons, a few
undetermined; the benchmarks measure on it (benchmarks/run.py reports the mix)."""

from __future__ import annotations

from collections import Counter

import pytest

from titlerules.engine.policy import load_policy
from titlerules.synthetic import population

POLICIES = ["eryuan-2024", "kunming-2020", "yuncheng-2024", "xianning-2024"]


@pytest.mark.parametrize("name", POLICIES)
def test_population_outcomes_are_mixed_like_a_county(name: str) -> None:
    policy = load_policy(name)
    records = population(name, 300, seed=11)
    outcomes: Counter[str] = Counter()
    failing: Counter[str] = Counter()
    for record in records:
        decision = policy.evaluate(record)  # every record is a valid applicant
        outcomes[decision.outcome.value] += 1
        failing.update(
            r.id for r in decision.rules if r.outcome.value == "failed" and r.severity == "blocking"
        )
    assert outcomes["eligible"] > 0.5 * len(records), outcomes
    assert outcomes["ineligible"] >= 0.08 * len(records), outcomes
    assert 0 < outcomes["undetermined"] < outcomes["ineligible"], outcomes
    assert outcomes["error"] == 0
    # Ineligible for several common reasons, none of them the whole story.
    assert len(failing) >= 3, failing
    assert max(failing.values()) < 0.6 * outcomes["ineligible"], failing


def test_population_is_reproducible_and_records_differ() -> None:
    first = population("eryuan-2024", 50, seed=3)
    assert first == population("eryuan-2024", 50, seed=3)
    assert first != population("eryuan-2024", 50, seed=4)
    assert len({r["person"]["id_number"] for r in first}) > 45
    assert len({r["id"] for r in first}) == 50


def test_population_of_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="no example applicants"):
        population("no-such-policy", 3)
