"""Shared fixtures: small policies written to a temporary folder, example records."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

from titlerules.engine.policy import Policy, load_policy

# Property tests are deterministic (the same examples every run, so a failure on CI is a
# failure on every machine) and never time-limited: tests do not assert wall-clock time,
# and a loaded two-core machine makes a fast example slow now and then.  `make fuzz` runs
# the long budgets (tests/test_fuzz.py, TITLERULES_FUZZ_EXAMPLES).
settings.register_profile("titlerules", derandomize=True, deadline=None, database=None)
settings.load_profile("titlerules")

# The compile cache of the test run lives in a folder of its own, never in the user's cache.
os.environ.setdefault("TITLERULES_CACHE_DIR", tempfile.mkdtemp(prefix="titlerules-test-cache-"))

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

HEADER = """policy test-policy {
  title "测试政策" document "测〔2024〕1号" year 2024 source "x.txt" sha256 "0"
}
"""


@pytest.fixture
def write_policy(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write policy text (a header is added unless the text has one) and return its path."""

    def write(body: str, name: str = "test.policy") -> Path:
        text = body if body.lstrip().startswith(("policy", "module", "#")) else HEADER + body
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def make_policy(write_policy: Callable[[str, str], Path]) -> Callable[[str], Policy]:
    def make(body: str) -> Policy:
        return load_policy(write_policy(body, "test.policy"))

    return make
