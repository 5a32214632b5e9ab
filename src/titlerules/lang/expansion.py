"""Language layer: how deep and how large a policy's expressions become once ``let`` and
``def`` items are followed (a pass of the checker).

The parser bounds one expression's depth, but not what items referring to each other
build: a chain of 600 ``let`` items, each reading the one before, evaluates 600 levels deep
(past Python's stack), and ``def h2(x) = h1(x) + h1(x)``, ``def h3(x) = h2(x) + h2(x)``...
doubles with every line (a 745-byte policy of such defs took minutes and gigabytes to
compile, since a ``def`` is inlined where it is called).  This pass measures both, in time
linear in the policy: the *depth* of an item is its own nesting plus the depth of what it
refers to, the *size* of a ``def`` is its own nodes plus the sizes of the defs it calls
(a ``let`` is evaluated once per record and counts as one node where it is read).  An item
over a limit is reported where it crosses it: TR304 for depth, TR307 for size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from titlerules.lang import ir
from titlerules.lang.loader import ResolvedPolicy, Sourced

#: Deepest chain of expression levels through ``let`` and ``def`` items (the parser's own
#: limit is 100 levels for one expression).  A notice's policies stay below 30.
MAX_CHAIN_DEPTH = 200
#: Largest expression once every ``def`` it calls is written out in full.  The bundled
#: policies stay below 1,000 nodes.
MAX_EXPANDED_NODES = 100_000


@dataclass(frozen=True, slots=True)
class Finding:
    """An item over a limit: ``code`` TR304 (depth) or TR307 (size)."""

    code: str
    message: str
    hint: str
    node: object
    file: str | None


def _children(expr: ir.Expr | ir.Lambda) -> tuple[ir.Expr | ir.Lambda, ...]:
    # The same children as ir.walk.
    if isinstance(expr, ir.Attr):
        return (expr.obj,)
    if isinstance(expr, ir.Call):
        return expr.args
    if isinstance(expr, ir.MethodCall):
        return (expr.obj, *expr.args)
    if isinstance(expr, ir.Lambda):
        return (expr.body,)
    if isinstance(expr, ir.SetLit):
        return expr.items
    if isinstance(expr, ir.BinOp | ir.Compare):
        return (expr.left, expr.right)
    if isinstance(expr, ir.BoolOp):
        return expr.operands
    if isinstance(expr, ir.Not | ir.Neg):
        return (expr.operand,)
    if isinstance(expr, ir.IfThenElse):
        return (expr.cond, expr.then, expr.else_)
    return ()


@dataclass
class _Shape:
    """One expression: its node count, its own depth, and the items it refers to, each
    with the deepest level it is referred to at."""

    nodes: int
    depth: int
    lets: dict[str, int]
    defs: dict[str, int]
    def_calls: list[str]


def _shape(
    expr: ir.Expr, bound: frozenset[str], lets: dict[str, Sourced], defs: dict[str, Sourced]
) -> _Shape:
    """Walk ``expr`` without recursion; ``bound`` are names that shadow lets (def params)."""
    shape = _Shape(0, 0, {}, {}, [])
    stack: list[tuple[ir.Expr | ir.Lambda, int, frozenset[str]]] = [(expr, 1, bound)]
    while stack:
        node, level, names = stack.pop()
        shape.nodes += 1
        shape.depth = max(shape.depth, level)
        if isinstance(node, ir.Name) and node.id not in names and node.id in lets:
            shape.lets[node.id] = max(shape.lets.get(node.id, 0), level)
        elif isinstance(node, ir.Call) and node.func in defs:
            shape.defs[node.func] = max(shape.defs.get(node.func, 0), level)
            shape.def_calls.append(node.func)
        if isinstance(node, ir.Lambda):
            names = names | {node.param}
        stack.extend((child, level + 1, names) for child in _children(node))
    return shape


def _order(graph: dict[str, list[str]]) -> Iterator[str]:
    """Every key of ``graph``, each after the keys it refers to (cycles are cut; the
    checker reports them, TR324)."""
    done: set[str] = set()
    for start in graph:
        if start in done:
            continue
        visiting: set[str] = {start}
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(graph[start]))]
        while stack:
            name, pending = stack[-1]
            step = next((n for n in pending if n not in done and n not in visiting), None)
            if step is None:
                stack.pop()
                visiting.discard(name)
                done.add(name)
                yield name
            else:
                visiting.add(step)
                stack.append((step, iter(graph[step])))


def measure(policy: ResolvedPolicy) -> list[Finding]:
    """Every item of ``policy`` over a limit."""
    lets = policy.lets
    defs = policy.defs
    shapes: dict[str, _Shape] = {}
    sourced: dict[str, Sourced] = {}
    for name, item in lets.items():
        assert isinstance(item.item, ir.Let)
        shapes[f"let {name}"] = _shape(item.item.value, frozenset(), lets, defs)
        sourced[f"let {name}"] = item
    for name, item in defs.items():
        assert isinstance(item.item, ir.Def)
        shapes[f"def {name}"] = _shape(item.item.body, frozenset(item.item.params), lets, defs)
        sourced[f"def {name}"] = item
    graph = {
        key: [*(f"let {n}" for n in s.lets), *(f"def {n}" for n in s.defs)]
        for key, s in shapes.items()
    }
    depth: dict[str, int] = {}
    size: dict[str, int] = {}
    findings: list[Finding] = []

    def total(shape: _Shape) -> tuple[int, int]:
        deep = shape.depth
        for n, level in shape.lets.items():
            deep = max(deep, level + depth.get(f"let {n}", 0))
        for n, level in shape.defs.items():
            deep = max(deep, level + depth.get(f"def {n}", 0))
        nodes = shape.nodes + sum(size.get(f"def {n}", 0) for n in shape.def_calls)
        return deep, min(nodes, MAX_EXPANDED_NODES + 1)

    def report(
        what: str, shape: _Shape, deep: int, nodes: int, node: object, file: str | None
    ) -> None:
        # Reported where a limit is crossed: not again for every item built on top of it.
        refs = [depth.get(f"let {n}", 0) for n in shape.lets]
        refs += [depth.get(f"def {n}", 0) for n in shape.defs]
        if deep > MAX_CHAIN_DEPTH and all(r <= MAX_CHAIN_DEPTH for r in refs):
            findings.append(
                Finding(
                    "TR304",
                    f"{what} is nested more than {MAX_CHAIN_DEPTH} levels deep through "
                    "the 'let' and 'def' items it reads",
                    "shorten the chain: write derived values directly in terms of the "
                    "record instead of each in terms of the one before",
                    node,
                    file,
                )
            )
        sizes = [size.get(f"def {n}", 0) for n in shape.defs]
        if nodes > MAX_EXPANDED_NODES and all(s <= MAX_EXPANDED_NODES for s in sizes):
            findings.append(
                Finding(
                    "TR307",
                    f"{what} grows to more than {MAX_EXPANDED_NODES:,} expression nodes "
                    "once the defs it calls are written out",
                    "a def is written out where it is called: call a large def once, in a "
                    "'let', and read the let instead",
                    node,
                    file,
                )
            )

    for key in _order(graph):
        shape = shapes[key]
        deep, nodes = total(shape)
        depth[key] = deep
        if key.startswith("def "):
            size[key] = nodes
        item = sourced[key]
        report(f"'{key.split()[1]}'", shape, deep, nodes, item.item, item.file)
    for item in policy.rules.values():
        assert isinstance(item.item, ir.Rule)
        for expr in ir.rule_expressions(item.item):
            shape = _shape(expr, frozenset(), lets, defs)
            deep, nodes = total(shape)
            report(f"rule '{item.item.id}'", shape, deep, nodes, expr, item.file)
    return findings
