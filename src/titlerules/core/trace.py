"""Core layer: the tracer protocol — what an evaluation reports while it runs.

An evaluation that explains itself carries a tracer (``env.trace``); one that does not
carries ``None``, the null tracer, so the hot path pays a single identity test.  Every
backend reports the same events in the same order:

* ``read(path, value)``: a fact read from the record (the list of reads is the tracer itself,
  ``(path, value)`` pairs, so the facts of a rule are its reads in order);
* ``compared(node, left, right, result)``: a comparison decided, with both operands' values
  (``node`` is the core :class:`~titlerules.core.nodes.Compare`, with its span);
* ``derived(name, value)``: a named ``let`` value computed for the record.

:class:`Trace` records them; explanations are built from it.  To observe an evaluation
otherwise, subclass it and override the methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Comparison:
    """A comparison an evaluation decided: the node (its operator and span) and the values."""

    node: Any  # core.nodes.Compare
    left: Any
    right: Any
    result: Any

    @property
    def op(self) -> str:
        return str(self.node.op)


class Trace(list[tuple[str, Any]]):
    """A recording tracer: the reads (the list's items), the comparisons decided and the
    derived values, in the order the evaluation met them."""

    __slots__ = ("comparisons", "derived_values")

    def __init__(self) -> None:
        super().__init__()
        self.comparisons: list[Comparison] = []
        self.derived_values: list[tuple[str, Any]] = []

    def compared(self, node: Any, left: Any, right: Any, result: Any) -> None:
        self.comparisons.append(Comparison(node, left, right, result))

    def derived(self, name: str, value: Any) -> None:
        self.derived_values.append((name, value))
