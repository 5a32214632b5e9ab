"""Core layer: the tracer protocol — what an evaluation reports while it runs.

An evaluation that explains itself carries a tracer (``env.trace``); one that does not
carries ``None``, the null tracer, so the hot path pays a single identity test.  Every
backend reports the same events in the same order:

* ``read(path, value)``: a fact read from the record (the list of reads is the tracer itself,
  ``(path, value)`` pairs, so the facts of a rule are its reads in order);
* ``compared(node, left, right, result, paths)``: a comparison decided, with both operands'
  values and, for an operand read from the record, its record path (``node`` is the core
  :class:`~titlerules.core.nodes.Compare`, with its span);
* ``derived(name, value)``: a named ``let`` value computed for the record;
* ``chose(node, branch)``: a ``coalesce`` or ``if`` (the core node) gave the value of
  ``branch`` (so an operand that is one is named after the branch that gave its value);
* ``bind(name, node)`` / ``unbind(name)``: a ``def``'s parameter is bound to the value of
  ``node`` (its argument, through the bindings and choices made so far), or a lambda's
  variable to an element (``node`` None), until it is unbound — so a parameter that is an
  operand is named after its argument (a labelled let's label).

:class:`Trace` records them; explanations are built from it.  To observe an evaluation
otherwise, subclass it and override the methods.  :class:`Reads` records the reads alone
(what the result of a rule that passed shows), at a fraction of the cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from titlerules.core.nodes import Coalesce, If, Var


@dataclass(frozen=True, slots=True)
class Comparison:
    """A comparison an evaluation decided: the node (its operator and span) and the values."""

    node: Any  # core.nodes.Compare
    left: Any
    right: Any
    result: Any
    paths: tuple[str | None, str | None] = (None, None)  # record paths of the operands
    # The nodes that gave each operand's value: the operand itself, or for a coalesce or an
    # if, the branch it chose (explanations name a labelled let or def after its label).
    sources: tuple[Any, Any] = (None, None)

    @property
    def op(self) -> str:
        return str(self.node.op)


class Trace(list[tuple[str, Any]]):
    """A recording tracer: the reads (the list's items), the comparisons decided and the
    derived values, in the order the evaluation met them."""

    __slots__ = ("bindings", "choices", "comparisons", "derived_values")

    def __init__(self) -> None:
        super().__init__()
        self.comparisons: list[Comparison] = []
        self.derived_values: list[tuple[str, Any]] = []
        self.choices: dict[int, Any] = {}  # id of a coalesce/if node -> the branch it chose
        self.bindings: dict[str, list[Any]] = {}  # a variable -> the sources bound, innermost last

    def chose(self, node: Any, branch: Any) -> None:
        self.choices[id(node)] = branch

    def bind(self, name: str, node: Any) -> None:
        self.bindings.setdefault(name, []).append(node)

    def unbind(self, name: str) -> None:
        stack = self.bindings.get(name)
        if stack:
            stack.pop()

    def source(self, node: Any) -> Any:
        """The node that gave ``node``'s latest value: through the branches chosen and the
        arguments a def's parameters are bound to."""
        for _ in range(64):  # a chain of nested choices is as deep as the policy writes it
            if type(node) is Var:
                stack = self.bindings.get(node.name)
                if not stack or stack[-1] is None:
                    return node
                node = stack[-1]
                continue
            branch = self.choices.get(id(node))
            if branch is None:
                return node
            node = branch
        return node

    def compared(
        self,
        node: Any,
        left: Any,
        right: Any,
        result: Any,
        paths: tuple[str | None, str | None] = (None, None),
    ) -> None:
        # Only a variable, a coalesce or an if can have another node as its source (the
        # branch chosen, the argument bound): any other operand is its own.
        a, b = node.left, node.right
        if type(a) in _SOURCED:
            a = self.source(a)
        if type(b) in _SOURCED:
            b = self.source(b)
        self.comparisons.append(Comparison(node, left, right, result, paths, (a, b)))

    def derived(self, name: str, value: Any) -> None:
        self.derived_values.append((name, value))

    def mark(self) -> tuple[int, int, int]:
        """Where the trace stands now (for :meth:`since`)."""
        return (len(self), len(self.comparisons), len(self.derived_values))

    def since(self, mark: tuple[int, int, int]) -> Segment:
        """Everything reported after ``mark``: what computing a ``let`` reported, replayed
        into the trace of every later rule that uses its remembered value."""
        reads, comparisons, derived = mark
        return Segment(
            tuple(self[reads:]),
            tuple(self.comparisons[comparisons:]),
            tuple(self.derived_values[derived:]),
        )

    def replay(self, segment: Segment) -> None:
        self.extend(segment.reads)
        self.comparisons.extend(segment.comparisons)
        self.derived_values.extend(segment.derived)


# The node types whose source may be another node (see Trace.source).
_SOURCED = frozenset({Var, Coalesce, If})


class Reads(Trace):
    """A tracer that records the reads alone (the list's items), as :class:`Trace` records
    them: no comparisons, derived values, choices or bindings.  The facts a rule read are
    all the result of a rule that passed (or did not apply) shows; a rule that failed or is
    unknown is explained from a :class:`Trace` of its own evaluation.  A ``let`` computed
    under it keeps only its reads (:meth:`since`): a trace of each kind belongs in an
    environment of its own."""

    __slots__ = ()

    # Nothing but reads is kept: the other parts read as empty.
    comparisons = ()  # type: ignore[assignment]
    derived_values = ()  # type: ignore[assignment]
    choices = MappingProxyType[int, Any]({})  # type: ignore[assignment]
    bindings = MappingProxyType[str, list[Any]]({})  # type: ignore[assignment]

    __init__ = list.__init__  # an empty list, nothing else (and made as fast)

    def chose(self, node: Any, branch: Any) -> None:
        pass

    def bind(self, name: str, node: Any) -> None:
        pass

    def unbind(self, name: str) -> None:
        pass

    def source(self, node: Any) -> Any:
        return node

    def compared(
        self,
        node: Any,
        left: Any,
        right: Any,
        result: Any,
        paths: tuple[str | None, str | None] = (None, None),
    ) -> None:
        pass

    def derived(self, name: str, value: Any) -> None:
        pass

    def mark(self) -> tuple[int, int, int]:
        return (len(self), 0, 0)

    def since(self, mark: tuple[int, int, int]) -> Segment:
        return Segment(tuple(self[mark[0] :]))

    def replay(self, segment: Segment) -> None:
        self.extend(segment.reads)


@dataclass(frozen=True, slots=True)
class Segment:
    """A part of a trace (see :meth:`Trace.since`)."""

    reads: tuple[tuple[str, Any], ...] = ()
    comparisons: tuple[Comparison, ...] = ()
    derived: tuple[tuple[str, Any], ...] = ()


EMPTY_SEGMENT = Segment()
