"""audit layer: uses of the engine for the supervision offices that check whole rounds.

* :func:`audit` — every procedure rule of a policy against a committee's procedure record
  (:class:`AuditReport`, one :class:`Finding` per rule);
* :func:`audit_set` — rules over a whole set of records: the same person applying twice,
  applications beyond a unit's vacancies, a committee's pass rate against its plan
  (:class:`CrossRecordReport`);
* :func:`plan` — the earliest and latest allowed date of every step of a round, from the
  policy's own rules (:class:`Plan`);
* :func:`validate_records` — historical title records (Xianning attachment 4) row by row
  (:class:`RecordsReport`).

Reports are pydantic models; they render as text (:mod:`titlerules.audit.render`) and, in
Jupyter, as HTML tables, pandas frames and charts (:mod:`titlerules.audit.notebook`).

The package itself is callable as :func:`audit`: ``titlerules.audit(policy, procedure)``
is the public API's spelling, and ``titlerules.audit.plan(...)``,
``import titlerules.audit.planner`` keep working.
"""

from __future__ import annotations

import datetime as dt
import sys
import types
from typing import Any

from titlerules.audit.crossrecord import CrossFinding, CrossRecordReport, audit_set
from titlerules.audit.historical import RecordsReport, RowResult, validate_records
from titlerules.audit.planner import Plan, PlanStep, plan
from titlerules.audit.procedure import (
    AuditReport,
    AuditStatus,
    Consequence,
    Finding,
    Verdict,
    audit,
    consequences_of,
)
from titlerules.engine.decision import Decision, DecisionViews

__all__ = [
    "AuditReport",
    "AuditStatus",
    "Consequence",
    "CrossFinding",
    "CrossRecordReport",
    "Finding",
    "Plan",
    "PlanStep",
    "RecordsReport",
    "RowResult",
    "Verdict",
    "audit",
    "audit_set",
    "consequences_of",
    "plan",
    "validate_records",
]


def _notebook_views() -> DecisionViews:
    """The notebook module, imported on first use (it draws decisions in Jupyter)."""
    from titlerules.audit import notebook

    return notebook


Decision.views = _notebook_views  # the engine draws no decision itself: this layer does


class _CallableAuditPackage(types.ModuleType):
    """``titlerules.audit``: this package, which called is :func:`audit`."""

    def __call__(self, policy: Any, procedure: Any, *, as_of: dt.date | None = None) -> AuditReport:
        return audit(policy, procedure, as_of=as_of)


sys.modules[__name__].__class__ = _CallableAuditPackage
