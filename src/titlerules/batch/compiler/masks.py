"""batch layer: where an unknown came from, column-wise (the missing facts of a row).

The per-record engine carries, with every unknown value, the record paths that would
decide it (:class:`~titlerules.engine.runtime.Unknown`); a rule that is unknown reports
their union, and a decision every path behind its blocking unknown rules.  With
explanations on, the columnar compiler gives every compiled value a :class:`Mask`: the
same set of paths, as a few UInt64 columns that are zero wherever the value is known.

* A path read from the record itself (``applicant.employment.retired``, a sub-record that
  is missing as a whole, ``applicant.titles``, ``as_of``) or a reason the engine names
  instead of a path (``division by zero``, ``max of an empty list``) is one bit of a
  *static* word (``s0``, ``s1``, ...), numbered by :class:`Provenance` while compiling.
* A field of a list element (``applicant.titles[2].level``) is one bit per element index
  in an *element* part named by list and field (``e:titles:level``): bit ``i`` is element
  ``i`` of the list as the record gives it (a filtered list keeps the original indices,
  as the per-record engine does: a list carries, beside its elements, the list of their
  bits ``2**index``).  While a list method's body is compiled, the part of the element
  being looked at is a 0/1 flag (``e:titles:level@<frame>``); leaving the method, the
  flags of the elements become their bits, OR-ed together (:func:`relative`).

Masks combine the way the engine unions ``Unknown.paths``; :meth:`Provenance.decode`
spells a row's mask as the sorted paths the per-record decision lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from titlerules.batch._polars import polars

_INDEX = re.compile(r"\[\d+\]")
_INDEX_NUMBER = re.compile(r"\[(\d+)\]")

Expr = Any  # polars.Expr

ELEMENT_BITS = 64
"""Element indices a mask can name; a row with a longer list read by a rule is explained on
the per-record path."""


def _zero() -> Expr:
    pl = polars()
    return pl.lit(0, dtype=pl.UInt64)


class Mask:
    """A set of paths per row: UInt64 expressions by part name (absent parts are zero).
    ``bits`` holds, per static part, every bit the part may have (to spell it)."""

    __slots__ = ("bits", "parts")

    def __init__(
        self, parts: Mapping[str, Expr] | None = None, bits: Mapping[str, int] | None = None
    ) -> None:
        self.parts: dict[str, Expr] = dict(parts or {})
        self.bits: dict[str, int] = dict(bits or {})

    def __bool__(self) -> bool:
        return bool(self.parts)

    def __repr__(self) -> str:
        return f"Mask({sorted(self.parts)})"

    def __or__(self, other: Mask) -> Mask:
        if not other.parts:
            return self
        if not self.parts:
            return other
        parts = dict(self.parts)
        for key, expr in other.parts.items():
            parts[key] = parts[key] | expr if key in parts else expr
        bits = dict(self.bits)
        for key, value in other.bits.items():
            bits[key] = bits.get(key, 0) | value
        return Mask(parts, bits)

    def where(self, condition: Expr) -> Mask:
        """The paths where ``condition`` holds (null counts as not), none elsewhere.
        (Arithmetic, not a when/then: that would evaluate each part on the rows it picks.)"""
        pl = polars()
        if not self.parts:
            return self
        factor = condition.fill_null(False).cast(pl.UInt64)
        return Mask({key: expr * factor for key, expr in self.parts.items()}, self.bits)

    def map(self, fn: Any) -> Mask:
        return Mask({key: fn(expr) for key, expr in self.parts.items()}, self.bits)

    def map_keys(self, fn: Any) -> Mask:
        """``fn(key, expr)`` for each part."""
        return Mask({key: fn(key, expr) for key, expr in self.parts.items()}, self.bits)

    def nonzero(self) -> Expr:
        """Boolean: the set is not empty."""
        pl = polars()
        if not self.parts:
            return pl.lit(False)
        return pl.any_horizontal(*[expr != 0 for expr in self.parts.values()])


def union(masks: Iterable[Mask]) -> Mask:
    out = Mask()
    for mask in masks:
        out = out | mask
    return out


class Provenance:
    """The static paths a policy's rules may report, one bit each, and the lists whose
    element fields they may report; spells a row's mask as sorted paths."""

    def __init__(self) -> None:
        self.static: dict[str, int] = {}
        self.elements: dict[str, tuple[str, str]] = {}  # part name -> (list path, field)
        self._spellers: dict[tuple[str, str], _Elements] = {}  # kept: they remember

    # ------------------------------------------------ building masks
    def bit(self, path: str) -> Mask:
        """The one-path mask (a literal)."""
        pl = polars()
        index = self.static.setdefault(path, len(self.static))
        word, bit = divmod(index, 64)
        return Mask({f"s{word}": pl.lit(1 << bit, dtype=pl.UInt64)}, {f"s{word}": 1 << bit})

    def first_of(self, cases: list[tuple[Expr, str]]) -> Mask:
        """The path of the first case whose condition holds (none if no case holds)."""
        pl = polars()
        bits = []
        possible: dict[str, int] = {}
        for condition, path in cases:
            mask = self.bit(path)
            ((key, value),) = mask.parts.items()
            bits.append((condition, key, value))
            possible[key] = possible.get(key, 0) | mask.bits[key]
        parts: dict[str, Expr] = {}
        for word in dict.fromkeys(key for _, key, _ in bits):
            chain: Any = pl
            for condition, key, value in bits:
                chain = chain.when(condition).then(value if key == word else _zero())
            parts[word] = chain.otherwise(_zero())
        return Mask(parts, possible)

    def element(self, list_path: str, field: str, missing: Expr, tag: str) -> Mask:
        """Field ``field`` of the element of list ``list_path`` a method (``tag``) is looking
        at: a 0/1 flag, 1 where missing."""
        pl = polars()
        self.elements[f"e:{list_path}:{field}"] = (list_path, field)
        return Mask({f"e:{list_path}:{field}@{tag}": missing.cast(pl.UInt64)})

    # ------------------------------------------------ reading masks back
    def static_paths(self) -> dict[int, str]:
        return {index: path for path, index in self.static.items()}

    def spell(self, mask: Mask, strip: str = "") -> Expr:
        """A mask's paths as text (``a, b``; null when none; ``strip`` taken off the
        front of each path), per row.  The static paths between two list fields (in sorted
        order) are one run: the run's bits, packed into a small number, pick its text from
        a table of every combination.  A list field's element paths are spelled per distinct
        value (:class:`_Elements`)."""
        pl = polars()
        by_index = self.static_paths()
        pieces: list[tuple[str, Any]] = []  # (sort key, static bit test | element speller)
        for key, expr in mask.parts.items():
            if key.startswith("s"):
                base = int(key[1:]) * 64
                for bit in bit_numbers(mask.bits.get(key, 0)):
                    pieces.append((by_index[base + bit], (expr, 1 << bit)))
            else:
                list_path, field = self.elements[key]
                root = "" if strip else "applicant."
                elements = self._spellers.get((key, root))
                if elements is None:
                    elements = self._spellers[key, root] = _Elements(list_path, field, root)
                spelled = expr.map_batches(elements, return_dtype=pl.String)
                pieces.append((missing_order_key(f"applicant.{list_path}[0].{field}")[0], spelled))
        if not pieces:
            return pl.lit(None, dtype=pl.String)
        pieces.sort(key=lambda item: item[0])
        texts: list[Expr] = []
        run: list[tuple[str, tuple[Expr, int]]] = []
        for path, piece in [*pieces, ("", None)]:
            if isinstance(piece, tuple):
                shown = path[len(strip) :] if strip and path.startswith(strip) else path
                run.append((shown, piece))
                continue
            while run:
                texts.append(_run_text(run[:RUN_BITS]))
                run = run[RUN_BITS:]
            if piece is not None:
                texts.append(piece)
        if len(texts) == 1:
            return texts[0]
        text = pl.concat_str(texts, separator=", ", ignore_nulls=True)
        return pl.when(text != "").then(text)

    def decode(self, values: Mapping[str, int]) -> list[str]:
        """The sorted paths of one row's mask (part name -> value)."""
        by_index = self.static_paths()
        out: set[str] = set()
        for key, value in values.items():
            if not value:
                continue
            if key.startswith("s"):
                base = int(key[1:]) * 64
                for bit in bit_numbers(value):
                    out.add(by_index[base + bit])
            else:
                list_path, field = self.elements[key]
                for index in bit_numbers(value):
                    out.add(f"applicant.{list_path}[{index}].{field}")
        return sorted(out)


def missing_order_key(path: str) -> tuple[str, tuple[int, ...]]:
    """The order missing facts are listed in, by both paths: by the path with its list
    indices left out (``titles[].level``), then by the indices (``titles[1]`` before
    ``titles[3]``)."""
    generic = _INDEX.sub("[]", path)
    return generic, tuple(int(i) for i in _INDEX_NUMBER.findall(path))


class _Elements:
    """Element index bits of one list field as paths (each distinct value spelled once)."""

    def __init__(self, list_path: str, field: str, root: str) -> None:
        self.list_path = list_path
        self.field = field
        self.root = root
        self.memo: dict[int, str | None] = {}  # kept across chunks

    def _spell(self, value: int) -> str | None:
        text = self.memo.get(value, "")
        if text == "":
            paths = (f"{self.root}{self.list_path}[{i}].{self.field}" for i in bit_numbers(value))
            text = ", ".join(paths) or None
            if len(self.memo) < 100_000:
                self.memo[value] = text
        return text

    def __call__(self, column: Any) -> Any:
        pl = polars()
        distinct = column.unique().drop_nulls()
        texts = [self._spell(v) for v in distinct.to_list()]
        return column.replace_strict(
            distinct, pl.Series(texts, dtype=pl.String), default=None, return_dtype=pl.String
        )


RUN_BITS = 10
"""Static paths spelled by one table (of ``2**RUN_BITS`` texts); a longer run is split."""


def _run_text(run: list[tuple[str, tuple[Expr, int]]]) -> Expr:
    """The text of a run of static paths (sorted): each path's bit tested, packed into a
    number, and that number's text taken from a table (null where no path is set)."""
    pl = polars()
    packed = pl.sum_horizontal(
        [
            ((expr & pl.lit(bit, dtype=pl.UInt64)) != 0).cast(pl.UInt16) * (1 << j)
            for j, (_, (expr, bit)) in enumerate(run)
        ]
    )
    table = [
        ", ".join(path for j, (path, _) in enumerate(run) if (m >> j) & 1) or None
        for m in range(1 << len(run))
    ]
    return pl.lit(pl.Series(table, dtype=pl.String)).gather(packed)


def bit_numbers(value: int) -> list[int]:
    """The numbers of the bits set in ``value``, lowest first."""
    out = []
    bit = 0
    while value:
        if value & 1:
            out.append(bit)
        value >>= 1
        bit += 1
    return out


def relative(key: str, tag: str) -> str | None:
    """The absolute part name of a flag part of the elements of frame ``tag`` (else None)."""
    if key.startswith("e:") and key.endswith("@" + tag):
        return key[: -len(tag) - 1]
    return None


def index_bits(lengths: Expr) -> Expr:
    """Per row, the list ``[2**0, 2**1, ...]`` of a list of ``lengths`` elements (UInt64;
    past the last bit the bits repeat: such rows are explained per record)."""
    pl = polars()
    ranges = pl.int_ranges(0, lengths, dtype=pl.UInt64)
    return ranges.list.eval(pl.lit(2, dtype=pl.UInt64).pow(pl.element().clip(0, ELEMENT_BITS - 1)))


__all__ = [
    "ELEMENT_BITS",
    "Mask",
    "Provenance",
    "bit_numbers",
    "index_bits",
    "relative",
    "union",
]
