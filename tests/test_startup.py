"""A quick start: ``import titlerules`` and a command line load only what they use.

The public names stay the same (each imported on first use); a decision renders and draws
whatever was imported first; each command line loads its own sub-command's module only.
Times are measured by the benchmarks (benchmarks/run.py), never asserted here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import titlerules
from titlerules import cli

ROOT = Path(__file__).resolve().parent.parent
ONE = ROOT / "examples" / "eryuan-2024" / "applicants" / "li-hua.yaml"

# Loaded only by the commands and functions that use them.
HEAVY = (
    "titlerules.audit",
    "titlerules.batch",
    "titlerules.synthetic",
    "titlerules.audit.notebook",
    "polars",
    "pandas",
    "pyarrow",
    "matplotlib",
)


def _printed(code: str, env: dict[str, str] | None = None) -> Any:
    """What a fresh interpreter running ``code`` prints last, as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    return set(_printed(code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"))


def test_import_titlerules_loads_no_layer_until_used() -> None:
    loaded = _loaded_after("import titlerules")
    ours = {m for m in loaded if m.startswith("titlerules.")}
    # diskcache: the compiled code of the package's dataclasses (installed first).
    base = {
        "titlerules._version",
        "titlerules.argcheck",
        "titlerules.errors",
        "titlerules.diskcache",
    }
    assert ours <= base, ours
    assert not loaded & set(HEAVY)


def test_check_of_one_record_loads_neither_audit_batch_nor_notebook() -> None:
    loaded = _loaded_after(
        f"from titlerules.cli import main\nassert main(['check', 'eryuan-2024', {str(ONE)!r}]) == 0"
    )
    assert "titlerules.engine.policy" in loaded  # it did decide
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


# What deciding one record from the command line does not need, once the policy is in the
# disk cache: the decision log, redaction, atomic output files, the parser, and the holidays
# package (the calendar's bundled copy of its CN data stands in for it).
NOT_FOR_ONE_RECORD = (
    "holidays",
    "titlerules.decision_log",
    "titlerules.redact",
    "titlerules.atomic",
    "lark",
    "titlerules.lang.parser",
    "titlerules.lang.checker",  # (a policy from the disk cache is checked and lowered)
    "titlerules.core.lower",
)


def test_check_of_one_record_from_the_cache_loads_only_what_it_uses(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k != "TITLERULES_CACHE"}
    env["TITLERULES_CACHE_DIR"] = str(tmp_path / "cache")
    code = (
        "import json, sys\nfrom titlerules.cli import main\n"
        f"assert main(['check', 'eryuan-2024', {str(ONE)!r}]) == 0\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )

    def loaded() -> set[str]:
        return set(_printed(code, env))

    first = loaded()  # parses and checks the policy, and fills the cache
    assert "titlerules.lang.parser" in first
    again = loaded()
    assert "titlerules.engine.policy" in again  # it did decide
    assert not again & set(NOT_FOR_ONE_RECORD), sorted(again & set(NOT_FOR_ONE_RECORD))
    assert not again & set(HEAVY)


_COLLECTOR = """
import gc, json, sys
from titlerules.cli import main
sys.argv = ["titlerules", "check", "eryuan-2024", {one!r}]
before = gc.get_freeze_count()
assert main() == 0
print(json.dumps([before, gc.get_freeze_count(), gc.isenabled()]))
"""


def test_a_command_line_check_leaves_its_start_up_to_the_permanent_generation() -> None:
    before, after, enabled = _printed(_COLLECTOR.format(one=str(ONE)))
    assert before == 0 and after > 10_000  # the modules and the policy it loaded
    assert enabled  # collection goes on for what the records make


def test_a_check_called_from_python_leaves_the_collector_alone() -> None:
    import gc

    frozen = gc.get_freeze_count()
    assert cli.main(["check", "eryuan-2024", str(ONE)]) == 0
    assert gc.get_freeze_count() == frozen and gc.isenabled()


_PLUGINS = """
import json, os, sys
from titlerules.cli import main
sys.argv = ["titlerules", "check", "eryuan-2024", {one!r}]
assert main({argv}) == 0
from pydantic.plugin import _loader  # (its cache of the plugins found: None until looked up)
print(json.dumps([os.environ.get("PYDANTIC_DISABLE_PLUGINS"), _loader._plugins is not None]))
"""


@pytest.mark.parametrize(
    ("given", "argv", "expected"),
    [
        (None, "", ["__all__", False]),  # the command line: no look-up of pydantic's plugins
        ("", "", ["", True]),  # ... unless PYDANTIC_DISABLE_PLUGINS is set (here: none off)
        (None, "sys.argv[1:]", [None, True]),  # main([...]) from Python leaves it alone
    ],
)
def test_the_command_line_does_not_look_for_pydantic_plugins(
    given: str | None, argv: str, expected: list[Any]
) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if given is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = given
    assert _printed(_PLUGINS.format(one=str(ONE), argv=argv), env) == expected


def test_version_loads_no_command() -> None:
    loaded = _loaded_after(
        "from titlerules.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass"
    )
    assert not {m for m in loaded if m.endswith("_cmd")}
    assert "titlerules.engine.policy" not in loaded


@pytest.mark.parametrize("name", titlerules.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(titlerules, name) is not None
    assert name in dir(titlerules)


def test_star_import_and_unknown_names() -> None:
    namespace: dict[str, object] = {}
    exec("from titlerules import *", namespace)
    assert set(titlerules.__all__) <= set(namespace)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        titlerules.nothing_here  # noqa: B018
    assert callable(titlerules.audit)  # the package, callable as the function
    assert titlerules.load_policy is titlerules.engine.policy.load_policy


def test_a_decision_renders_when_only_the_engine_was_imported() -> None:
    code = (
        "from titlerules.engine.policy import load_policy\n"
        "from titlerules.facts import load_applicant\n"
        f"d = load_policy('eryuan-2024').evaluate(load_applicant({str(ONE)!r}))\n"
        "print(d.explain('en').splitlines()[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip(), done.stderr
    in_process = titlerules.load_policy("eryuan-2024")
    from titlerules.facts import load_applicant

    expected = in_process.evaluate(load_applicant(ONE)).explain("en").splitlines()[0]
    assert done.stdout.strip().splitlines()[0] == expected


def _registered(module: str) -> set[str]:
    import importlib

    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    importlib.import_module(module).register(subparsers)
    return set(subparsers.choices)


def test_the_command_table_names_what_each_module_registers() -> None:
    by_module: dict[str, set[str]] = {}
    for command, module in cli.COMMANDS.items():
        by_module.setdefault(module, set()).add(command)
    assert set(by_module) == set(cli.COMMAND_MODULES)
    for module, commands in by_module.items():
        assert _registered(module) == commands, module


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["--version"], ()),
        (["check", "x"], ("titlerules.cli.check_cmd",)),
        (["--debug", "audit-set", "x"], ("titlerules.cli.audit_cmd",)),
        (["--help"], cli.COMMAND_MODULES),
        (["chekc"], cli.COMMAND_MODULES),  # mistyped: the error lists every command
        ([], cli.COMMAND_MODULES),
    ],
)
def test_a_command_line_loads_its_command_only(words: list[str], expected: tuple[str]) -> None:
    parser = cli.build_parser(words)
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    registered = set(actions[0].choices)
    wanted = {c for c, m in cli.COMMANDS.items() if m in expected}
    assert registered == wanted


def test_a_mistyped_command_still_names_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["chekc"]) == 2
    err = capsys.readouterr().err
    assert "check" in err and "validate-records" in err


# --- the generated code kept by the disk cache ----------------------------------------------


def test_a_policy_reuses_the_compiled_code_it_is_given() -> None:
    from titlerules.engine.policy import Policy

    policy = titlerules.load_policy("eryuan-2024")
    assert policy.code, "the policy's generated functions were compiled"
    given = dict(policy.code)
    again = Policy(policy.resolved, policy.diagnostics, code=given)
    assert {key: id(code) for key, code in again.code.items()} == {
        key: id(code) for key, code in policy.code.items()
    }
    from titlerules.facts import load_applicant

    record = load_applicant(ONE)
    assert again.evaluate(record).model_dump() == policy.evaluate(record).model_dump()


_COUNT_COMPILES = """
import builtins, json, sys
import titlerules
from titlerules.engine import policy as P
real = builtins.compile
made = []
def counting(source, filename, *args, **kwargs):
    made.append(str(filename))
    return real(source, filename, *args, **kwargs)
builtins.compile = counting
P.load_policy("eryuan-2024")
print(json.dumps([name for name in made if name.startswith("<titlerules")]))
"""


def test_the_disk_cache_keeps_the_generated_code(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k != "TITLERULES_CACHE"}
    env["TITLERULES_CACHE_DIR"] = str(tmp_path / "cache")

    def generated_compiles() -> list[str]:
        names: list[str] = _printed(_COUNT_COMPILES, env)
        return names

    first = generated_compiles()  # compiles, and fills the cache
    assert len(first) > 40
    # From the cache: the code is reused.  A policy read from the cache holds the same
    # texts as the parsed one, shared otherwise: the generated sources are the same (their
    # constants are numbered by value for texts), and nothing is compiled again.
    for _ in range(2):
        assert generated_compiles() == []


def test_a_text_check_builds_no_decision_model_and_no_procedure_model() -> None:
    """pydantic builds a model when it is first validated or serialized: a text check of
    one applicant serializes no decision, and reads no procedure."""
    code = (
        "import json, sys\nfrom titlerules.cli import main\n"
        f"assert main(['check', 'eryuan-2024', {str(ONE)!r}]) == 0\n"
        "from titlerules.engine.decision import Decision, RuleResult\n"
        "from titlerules.facts import Applicant, Procedure\n"
        "print(json.dumps([m.__pydantic_complete__ for m in "
        "(Decision, RuleResult, Procedure, Applicant)]))\n"
    )
    assert _printed(code) == [False, False, False, True]
