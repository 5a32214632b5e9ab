"""batch layer: the optional Polars dependency, imported on first use.

The core install of titlerules does not need Polars; the columnar path does.  Every batch
module reaches Polars through :func:`polars`, so a missing extra is one clear error.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from titlerules.errors import TitleRulesError

_INSTALL_HINT = "install the columnar extra: pip install 'titlerules[fast]'"


def polars() -> ModuleType:
    """The ``polars`` module, or a :class:`TitleRulesError` saying how to install it."""
    try:
        import polars as pl
    except ImportError:
        raise TitleRulesError(
            "the columnar batch path needs Polars, which is not installed",
            hint=_INSTALL_HINT,
            code="TR500",
        ) from None
    module: ModuleType = pl
    return module


def frame_types() -> tuple[type, ...]:
    """What a table argument of the batch API may be: a ``polars.DataFrame`` of
    record-path columns, or a table validated once (``ValidatedTable``)."""
    from titlerules.batch.table import ValidatedTable

    return (polars().DataFrame, ValidatedTable)


def pyarrow_parquet() -> ModuleType:
    """``pyarrow.parquet`` (for streaming Parquet files), or an install hint."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise TitleRulesError(
            "reading and writing Parquet needs pyarrow, which is not installed",
            hint=_INSTALL_HINT,
            code="TR500",
        ) from None
    module: ModuleType = pq
    return module


_ENGINE: dict[str, Any] = {}


def collect(frame: Any) -> Any:
    """``frame.collect()`` on Polars' in-memory engine where this Polars has one: the
    batch path's queries (many columns, list operations, joins on row numbers) run
    quicker there than on the streaming engine Polars 2 collects on by default."""
    if "kwargs" not in _ENGINE:
        pl = polars()
        try:
            pl.LazyFrame({"a": [1]}).collect(engine="in-memory")
            _ENGINE["kwargs"] = {"engine": "in-memory"}
        except Exception:  # an older Polars: its default engine is the in-memory one
            _ENGINE["kwargs"] = {}
    return frame.collect(**_ENGINE["kwargs"])


def collect_all(frames: list[Any]) -> list[Any]:
    """Several LazyFrames collected together (Polars runs them in parallel)."""
    pl = polars()
    collect(pl.LazyFrame({"a": [1]}))  # settles the engine
    try:
        return list(pl.collect_all(frames, **_ENGINE["kwargs"]))
    except TypeError:  # a Polars whose collect_all takes no engine
        return list(pl.collect_all(frames))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cycle collector paused for a chunk's work: spelling a chunk's distinct values
    and masks makes many short-lived Python objects (freed as they go), and every collection
    they would trigger walks the caller's whole heap.  Cycles made meanwhile are collected
    once it is back on."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
