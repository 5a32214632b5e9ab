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

# First: the methods dataclasses generates for the package's classes come compiled from the
# cache folder (a quicker start; see titlerules.diskcache).
from titlerules.diskcache import install_dataclass_code

install_dataclass_code()

import importlib  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

from titlerules._version import __version__  # noqa: E402
from titlerules.argcheck import checked  # noqa: E402

if TYPE_CHECKING:
    from titlerules.audit import audit, audit_set, plan, validate_records
    from titlerules.engine.decision import Decision, Outcome, RuleOutcome, RuleResult
    from titlerules.engine.policy import Policy, bundled_policies, load_policy
    from titlerules.errors import TitleRulesError
    from titlerules.lang.diagnostics import Diagnostic
    from titlerules.lang.ir import PolicyFile
    from titlerules.lang.parser import parse

# The public names, each imported on first use (``import titlerules`` stays quick: a
# command that needs neither the audit layer nor the parser does not load them).  The
# engine's names come with the report layer, which registers Decision.explain.
_LAZY: dict[str, tuple[str, str | None]] = {
    "Decision": ("titlerules.engine.decision", "Decision"),
    "Outcome": ("titlerules.engine.decision", "Outcome"),
    "RuleOutcome": ("titlerules.engine.decision", "RuleOutcome"),
    "RuleResult": ("titlerules.engine.decision", "RuleResult"),
    "Policy": ("titlerules.engine.policy", "Policy"),
    "bundled_policies": ("titlerules.engine.policy", "bundled_policies"),
    "load_policy": ("titlerules.engine.policy", "load_policy"),
    "TitleRulesError": ("titlerules.errors", "TitleRulesError"),
    "Diagnostic": ("titlerules.lang.diagnostics", "Diagnostic"),
    "PolicyFile": ("titlerules.lang.ir", "PolicyFile"),
    "parse": ("titlerules.lang.parser", "parse"),
    # The package titlerules.audit, callable as the function audit: `titlerules.audit(...)`
    # and `import titlerules.audit.planner` both work.
    "audit": ("titlerules.audit", None),
    "audit_set": ("titlerules.audit", "audit_set"),
    "plan": ("titlerules.audit", "plan"),
    "validate_records": ("titlerules.audit", "validate_records"),
}
_RENDERED = ("titlerules.engine.decision", "titlerules.engine.policy", "titlerules.audit")


def __getattr__(name: str) -> Any:
    spec = _LAZY.get(name)
    if spec is None:
        raise AttributeError(f"module 'titlerules' has no attribute {name!r}")
    module_name, attribute = spec
    module = importlib.import_module(module_name)
    if module_name in _RENDERED:
        importlib.import_module("titlerules.report.explanation")  # registers Decision.explain
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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


def _policy_file() -> type:
    from titlerules.lang.ir import PolicyFile

    return PolicyFile


@checked(policy=_policy_file)
def format(policy: PolicyFile) -> str:
    """Canonical DSL text of a parsed policy (what ``titlerules fmt`` prints)."""
    from titlerules.lang.printer import format_policy

    return format_policy(policy)
