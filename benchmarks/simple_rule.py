"""One simple eligibility rule, written for every contestant.

The rule (a clerk would read it off any notice): the applicant is not a civil servant, is
not retired, has served at least 5 whole years in the current post by 2024-12-31, and holds
a bachelor's degree or better.  ``years_between(start, 2024-12-31, floor) >= 5`` holds
exactly when ``start <= 2019-12-31`` (whole years with month-end clamping, as the engine
counts them); engines without calendar arithmetic are given that date.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

POLICY = """policy simple-eligibility {
  title "基本申报条件" en "Basic eligibility" document "基准〔2024〕1号" year 2024
  source "benchmark" sha256 "0"
}

param service_cutoff: date = 2024-12-31
param min_service: int = 5
param accepted_education: set[EducationLevel] = {本科, 双学士, 硕士, 博士}

requirement basic "非公务员、未退休、任现职满5年、本科以上学历" en "Basic eligibility" {
  cite 一 "非公务员、未退休、任现职满5年、本科以上学历"
  require not applicant.employment.is_civil_servant
  require not applicant.employment.retired
  require years_between(applicant.employment.current_post_start, service_cutoff, floor)
      >= min_service
  require applicant.education.any(e -> e.level in accepted_education)
}
"""

LATEST_START = dt.date(2019, 12, 31)
LEVELS_EN = ["bachelor", "double_bachelor", "master", "doctorate"]
LEVELS_ZH = ["本科", "双学士", "硕士", "博士"]


# ---------------------------------------------------------------- hand-written Python


def _accepted() -> frozenset[Any]:
    from titlerules.facts import EducationLevel

    return frozenset(EducationLevel(v) for v in LEVELS_EN)


ACCEPTED = _accepted()


def hand_python(a: Any) -> bool:
    """Over the validated Applicant model (the same object the engine reads)."""
    e = a.employment
    if e.is_civil_servant or e.retired:
        return False
    start = e.current_post_start
    years = 2024 - start.year - ((12, 31) < (start.month, start.day))
    if years < 5:
        return False
    return any(x.level in ACCEPTED for x in a.education)


# ---------------------------------------------------------------- hand-written Polars


def hand_polars(frame: Any) -> Any:
    """Over the typed table (the same frame the columnar path reads)."""
    import polars as pl

    return frame.select(
        (
            ~pl.col("employment.is_civil_servant")
            & ~pl.col("employment.retired")
            & (pl.col("employment.current_post_start") <= LATEST_START)
            & pl.col("education")
            .list.eval(pl.element().struct.field("level").is_in(LEVELS_ZH))
            .list.any()
        ).alias("eligible")
    ).get_column("eligible")


# ---------------------------------------------------------------- the rule engines


ZEN_EXPRESSION = (
    "not employment.is_civil_servant and not employment.retired"
    " and date(employment.current_post_start) <= date('2019-12-31')"
    " and some(education, #.level in ['bachelor', 'double_bachelor', 'master', 'doctorate'])"
)


def zen_table() -> str:
    """The rule as a JDM decision table (first hit: eligible, else not)."""
    levels = ", ".join(f"'{v}'" for v in LEVELS_EN)
    content = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
            {
                "id": "table",
                "type": "decisionTableNode",
                "name": "eligibility",
                "position": {"x": 200, "y": 0},
                "content": {
                    "hitPolicy": "first",
                    "inputs": [
                        {"id": "civil", "name": "civil", "field": "employment.is_civil_servant"},
                        {"id": "retired", "name": "retired", "field": "employment.retired"},
                        {"id": "post", "name": "post", "field": "employment.current_post_start"},
                        {"id": "edu", "name": "education", "field": "education"},
                    ],
                    "outputs": [{"id": "out", "name": "eligible", "field": "eligible"}],
                    "rules": [
                        {
                            "_id": "yes",
                            "civil": "false",
                            "retired": "false",
                            "post": "date($) <= date('2019-12-31')",
                            "edu": f"some($, #.level in [{levels}])",
                            "out": "true",
                        },
                        {
                            "_id": "no",
                            "civil": "",
                            "retired": "",
                            "post": "",
                            "edu": "",
                            "out": "false",
                        },
                    ],
                },
            },
            {"id": "out", "type": "outputNode", "name": "Response", "position": {"x": 400, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "table", "type": "edge"},
            {"id": "e2", "sourceId": "table", "targetId": "out", "type": "edge"},
        ],
    }
    return json.dumps(content)


RULE_ENGINE = (
    'not employment["is_civil_servant"] and not employment["retired"]'
    ' and employment["current_post_start"] <= "2019-12-31"'
    " and [e for e in education"
    ' if e["level"] in ["bachelor", "double_bachelor", "master", "doctorate"]]'
)

JSON_LOGIC = {
    "and": [
        {"!": {"var": "employment.is_civil_servant"}},
        {"!": {"var": "employment.retired"}},
        {"<=": [{"var": "employment.current_post_start"}, "2019-12-31"]},
        {"some": [{"var": "education"}, {"in": [{"var": "level"}, LEVELS_EN]}]},
    ]
}
