"""batch layer: the optional Polars dependency, imported on first use.

The core install of titlerules does not need Polars; the columnar path does.  Every batch
module reaches Polars through :func:`polars`, so a missing extra is one clear error.
"""

from __future__ import annotations

from types import ModuleType

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
