"""The compiled code of titlerules' dataclasses, kept in the cache folder (titlerules.diskcache).

A class made from kept code is the class ``dataclasses`` makes; only titlerules' modules are
served; a damaged file, or a folder others can write to, is never read; a second process
compiles nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from titlerules import diskcache

ROOT = Path(__file__).resolve().parent.parent

SOURCE = """
from dataclasses import dataclass, field

@dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = field(default=())

@dataclass(order=True)
class Box:
    width: float
    items: list[int] = field(default_factory=list)
"""


def _module(name: str) -> types.ModuleType:
    """SOURCE run as the module ``name`` (dataclasses looks the module up by name)."""
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        exec(compile(SOURCE, f"<{name}>", "exec"), module.__dict__)
    finally:
        del sys.modules[name]
    return module


def _behaviour(module: types.ModuleType) -> list[object]:
    point, box = module.Point(1, tags=("a",)), module.Box(2.0)
    seen: list[object] = [repr(point), point == module.Point(1, 0, ("a",)), hash(point)]
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2
    seen += [repr(box), box < module.Box(3.0), box.items is not module.Box(2.0).items]
    seen += [[f.name for f in dataclasses.fields(module.Point)], module.Point.__slots__]
    return seen


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> diskcache.DataclassCode:
    """A code cache of this test's own folder, in place of the process's."""
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    installed = diskcache.dataclass_code()
    assert installed is not None, "import titlerules installs it"
    own = diskcache.DataclassCode(folder)
    monkeypatch.setattr(installed, "code", own.code)
    return own


def test_a_class_from_kept_code_is_the_class_dataclasses_makes(
    cache: diskcache.DataclassCode,
) -> None:
    made = _behaviour(_module("titlerules.fake_made"))
    assert cache.compiled >= 5  # __init__, __repr__, __eq__, __setattr__, ...
    cache.save()
    again = diskcache.DataclassCode(cache.directory)
    cache.code = again.code  # type: ignore[method-assign]
    assert _behaviour(_module("titlerules.fake_made")) == made
    assert again.compiled == 0  # every method from the kept code
    plain = _behaviour(_module("elsewhere.fake_made"))
    assert plain[:2] == made[:2] and plain[3:] == made[3:]  # hash(point) is the same value
    assert plain[2] == made[2]


def test_other_modules_are_not_served(cache: diskcache.DataclassCode) -> None:
    _module("elsewhere.module")
    assert cache.compiled == 0 and not cache.new


def test_a_damaged_file_is_removed_and_compiled_again(cache: diskcache.DataclassCode) -> None:
    _module("titlerules.fake_damaged")
    cache.save()
    file = cache.file("titlerules.fake_damaged")
    assert file is not None and file.exists()
    file.write_bytes(file.read_bytes()[:-10])
    again = diskcache.DataclassCode(cache.directory)
    assert again._read("titlerules.fake_damaged") == {}
    assert not file.exists()


def test_a_folder_others_can_write_to_is_not_read(cache: diskcache.DataclassCode) -> None:
    _module("titlerules.fake_shared")
    cache.save()
    assert cache.directory is not None
    cache.directory.chmod(0o777)
    try:
        assert diskcache.DataclassCode(cache.directory)._read("titlerules.fake_shared") == {}
    finally:
        cache.directory.chmod(0o700)


_COMPILED = """
import json
import titlerules.cli.check_cmd, titlerules.engine.policy, titlerules.facts
from titlerules import diskcache
print(json.dumps(diskcache.dataclass_code().compiled))
"""


def test_a_second_process_compiles_no_dataclass_method(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TITLERULES_CACHE"}
    env["TITLERULES_CACHE_DIR"] = str(tmp_path / "cache")

    def compiled() -> int:
        done = subprocess.run(
            [sys.executable, "-c", _COMPILED], capture_output=True, text=True, check=True, env=env
        )
        count: int = json.loads(done.stdout.strip().splitlines()[-1])
        return count

    assert compiled() > 100  # the engine's and the records' classes
    assert compiled() == 0


def test_no_cache_no_hook(tmp_path: Path) -> None:
    env = dict(os.environ, TITLERULES_CACHE="off")
    code = "import titlerules, dataclasses\nprint('exec' in vars(dataclasses))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert done.stdout.strip() == "False"
