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


def _run_installed(wheel: Path, tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``titlerules ARGV`` from the wheel's files alone, in a folder outside the source tree."""
    site = tmp_path / "site"
    if not site.is_dir():
        zipfile.ZipFile(wheel).extractall(site)
    script = (
        "import sys, titlerules\n"
        "assert titlerules.__file__.startswith(sys.argv[1]), titlerules.__file__\n"
        "from titlerules.cli import main\n"
        "sys.exit(main(sys.argv[2:]))\n"
    )
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-c", script, str(site), *argv],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_wheel_contains_the_examples_the_tests_start_from(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "titlerules/_bundled/examples/eryuan-2024/applicants/li-hua.yaml" in names


def test_installed_wheel_runs_the_bundled_policy_tests(wheel: Path, tmp_path: Path) -> None:
    result = _run_installed(wheel, tmp_path, "test")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    summary = result.stdout.splitlines()[-1]
    passed, failed = (int(word) for word in summary.replace(",", "").split()[::2])
    assert passed > 400 and failed == 0, summary


def test_installed_wheel_demo_shows_decisions(wheel: Path, tmp_path: Path) -> None:
    result = _run_installed(wheel, tmp_path, "demo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("符合申报条件") >= 4  # decisions, not only the calendar lines
    assert "== eryuan-2024" in result.stdout
    missing = _run_installed(wheel, tmp_path, "demo", "--examples", str(tmp_path / "none"))
    assert missing.returncode == 2
    assert "no examples of a bundled policy" in missing.stderr
