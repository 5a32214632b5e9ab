"""titlerules: executable, citable policy for China's professional-title (职称) evaluations.

The public API::

    import titlerules

    policy = titlerules.load_policy("eryuan-2024")       # a bundled id or a file path
    decision = policy.evaluate(applicant)                 # a model or a dict
    decision.outcome                                      # eligible / ineligible / undetermined
    print(decision.explain("zh"))

    titlerules.lint("my.policy")                          # every diagnostic
    titlerules.format(titlerules.parse(text))             # canonical DSL text

    report = titlerules.audit(policy, "procedure.yaml")   # every procedure rule: findings
    titlerules.audit_set(policy, ["applicants/", ...])    # duplicate applications, vacancies
    titlerules.plan(policy, "2024-09-10..2024-09-11")     # earliest/latest date of each step
    titlerules.validate_records("historical.csv")        # Xianning attachment 4, row by row

Everything not listed in ``__all__`` may change between versions.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import titlerules.report.explanation  # noqa: F401  (registers Decision.explain)
from titlerules._version import __version__
from titlerules.argcheck import checked
from titlerules.audit import audit, audit_set, plan, validate_records
from titlerules.engine.decision import Decision, Outcome, RuleOutcome, RuleResult
from titlerules.engine.policy import Policy, bundled_policies, load_policy
from titlerules.errors import TitleRulesError
from titlerules.lang.diagnostics import Diagnostic
from titlerules.lang.ir import PolicyFile
from titlerules.lang.parser import parse

if not TYPE_CHECKING:
    # The package titlerules.audit, callable as the function audit: `titlerules.audit(...)`
    # and `import titlerules.audit.planner` both work.
    audit = sys.modules["titlerules.audit"]

__all__ = [
    "Decision",
    "Diagnostic",
    "Outcome",
    "Policy",
    "PolicyFile",
    "RuleOutcome",
    "RuleResult",
    "TitleRulesError",
    "__version__",
    "audit",
    "audit_set",
    "bundled_policies",
    "format",
    "lint",
    "load_policy",
    "parse",
    "plan",
    "validate_records",
]


@checked
def lint(path: str | Path) -> list[Diagnostic]:
    """Every diagnostic (errors and warnings) for a policy file or bundled id."""
    from titlerules.engine.policy import lint_policy
    from titlerules.lang.loader import find_policy

    return lint_policy(find_policy(str(path)))[1]


@checked
def format(policy: PolicyFile) -> str:
    """Canonical DSL text of a parsed policy (what ``titlerules fmt`` prints)."""
    from titlerules.lang.printer import format_policy

    return format_policy(policy)
