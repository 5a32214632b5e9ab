"""The built wheel carries the grammar and the bundled policies, and works from anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("titlerules-*.whl")
    return built


def test_wheel_contains_grammar_and_policies(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "titlerules/_bundled/grammar/policy.lark" in names
    assert "titlerules/_bundled/policies/common/retirement.policy" in names
    assert any(n.startswith("titlerules/_bundled/policies/sources/") for n in names)


def test_installed_wheel_loads_a_bundled_policy(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = (
        "import titlerules, sys\n"
        "assert titlerules.__file__.startswith(sys.argv[1]), titlerules.__file__\n"
        "ids = [i for i, _ in titlerules.bundled_policies()]\n"
        "policy = titlerules.load_policy(ids[0])\n"
        "print(policy.id, len(policy.rules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", script, str(site)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    _ident, count = result.stdout.split()
    assert int(count) > 0
