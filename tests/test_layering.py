"""The package's layers, read from its source: every import of every module (module-level and
inside functions) goes down the layers or across within one; no package reaches into
another's private names or modules; the engine keeps no module-level mutable caches; and
parsing is safe on several threads at once.  See docs/architecture.md."""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import titlerules

PACKAGE = Path(titlerules.__file__).resolve().parent
SOURCE = PACKAGE.parent

# The layers, lowest first (docs/architecture.md).  A package or top-level module of the same
# layer as another may import it; nothing imports a layer above its own.
LAYERS: dict[str, int] = {
    **dict.fromkeys(
        (
            "_version",
            "errors",
            "resources",
            "argcheck",
            "atomic",
            "diskcache",
            "boundedread",
            "readers",
            "csvlines",
            "uniquekeys",
            "calendar",
            "facts",
        ),
        0,
    ),
    "lang": 1,
    "core": 2,
    "engine": 3,
    **dict.fromkeys(("batch", "redact", "spark"), 4),
    **dict.fromkeys(("audit", "report", "decision_log", "testing"), 5),
    **dict.fromkeys(("cli", "lsp", "highlight", "synthetic", "(package)"), 6),
}

# The few imports of a lower layer from a higher one there are, each with its reason.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
    # The core IR is lowered once into values the engine's runtime defines.
    ("core", "titlerules.engine.runtime"): "runtime values (Unknown, Env) of the core IR",
    # Each built-in is declared once, in the core's table: the checker reads its signature
    # there (the table itself imports only lang.types and lang.ir from the language layer).
    ("lang", "titlerules.core.builtins"): "the built-ins' signatures, from the one table",
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. titlerules.engine.policy
    target: str  # the module imported, e.g. titlerules.engine.verdict
    name: str | None  # the name taken from it (from ... import name), if any
    line: int

    def where(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}" + (
            f".{self.name}" if self.name else ""
        )


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(SOURCE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _is_module(dotted: str) -> bool:
    path = SOURCE.joinpath(*dotted.split("."))
    return path.is_dir() or path.with_suffix(".py").exists()


def _imports(module: str, path: Path) -> Iterator[Import]:
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, None, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                kept = package[: len(package) - node.level + 1]
                base = ".".join([*kept, base] if base else kept)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if _is_module(submodule):  # from titlerules import calendar: the module
                    yield Import(module, submodule, None, node.lineno)
                else:
                    yield Import(module, base, alias.name, node.lineno)


def _every_import() -> list[Import]:
    return [i for module, path in _modules() for i in _imports(module, path)]


def _part(module: str) -> str:
    """The package (or top-level module) of the package a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(package)"


def _ours(imports: list[Import]) -> list[Import]:
    return [i for i in imports if i.target == "titlerules" or i.target.startswith("titlerules.")]


IMPORTS = _ours(_every_import())


def test_the_walk_sees_module_and_function_level_imports() -> None:
    """What the other tests rely on: the walk finds imports at every depth, relative ones
    and ``from titlerules import <module>`` as imports of the module."""
    seen = {(i.module, i.target, i.name) for i in IMPORTS}
    # module level, and a function-level import (Policy.lint_policy imports citations)
    assert ("titlerules.engine.policy", "titlerules.engine.verdict", "run_rule") in seen
    assert ("titlerules.engine.policy", "titlerules.lang.citations", "check_citations") in seen
    assert ("titlerules.engine.policy", "titlerules.calendar", None) in seen
    assert set(LAYERS) >= {_part(module) for module, _ in _modules()}, "a package not layered"


def _upward(imports: list[Import]) -> list[str]:
    found = []
    for i in imports:
        here, there = _part(i.module), _part(i.target)
        if LAYERS[there] > LAYERS[here] and (here, i.target) not in ALLOWED_UPWARD:
            found.append(i.where())
    return found


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert _upward(IMPORTS) == []


def test_the_engine_imports_nothing_of_the_audit_report_batch_cli_or_notebook() -> None:
    forbidden = ("audit", "report", "batch", "cli", "synthetic")
    found = [
        i.where()
        for i in IMPORTS
        if _part(i.module) == "engine" and (_part(i.target) in forbidden or "notebook" in i.target)
    ]
    assert found == []


def test_the_language_imports_nothing_of_the_layers_above() -> None:
    forbidden = ("core", "engine", "batch", "audit", "report", "cli", "synthetic")
    found = [
        i.where()
        for i in IMPORTS
        if _part(i.module) == "lang"
        and _part(i.target) in forbidden
        and ("lang", i.target) not in ALLOWED_UPWARD
    ]
    assert found == []


def test_the_core_sits_between_the_language_and_the_engine() -> None:
    found = [
        i.where()
        for i in IMPORTS
        if _part(i.module) == "core"
        and (
            _part(i.target) in ("batch", "audit", "report", "cli", "synthetic")
            or (_part(i.target) == "engine" and i.target != "titlerules.engine.runtime")
        )
    ]
    assert found == []


def test_nothing_in_the_package_imports_the_synthetic_records() -> None:
    assert [i.where() for i in IMPORTS if i.target == "titlerules.synthetic"] == []


def test_only_the_lsp_command_imports_the_language_server_and_nothing_the_lexer() -> None:
    """pygls, lsprotocol and Pygments (the lsp extra) are needed only to run them."""
    found = [
        i.where()
        for i in IMPORTS
        if (_part(i.target) == "lsp" and _part(i.module) not in ("lsp", "cli"))
        or (
            _part(i.target) == "lsp"
            and _part(i.module) == "cli"
            and i.module != "titlerules.cli.lsp_cmd"
        )
        or _part(i.target) == "highlight"
    ]
    assert found == []


def _private(i: Import) -> bool:
    """Whether the import takes a private name, or goes through a private module, of
    another package than the importer's."""
    if _part(i.module) == _part(i.target):
        return False
    private_name = i.name is not None and i.name.startswith("_")
    private_module = any(part.startswith("_") for part in i.target.split(".")[1:])
    return private_name or private_module


def test_no_module_imports_another_packages_private_names_or_modules() -> None:
    found = [i.where() for i in IMPORTS if _private(i) and i.target != "titlerules._version"]
    assert found == []


def test_the_private_import_check_finds_what_it_is_for() -> None:
    """The check above, on imports it must refuse and imports it must let through."""
    assert _private(Import("titlerules.batch.runner", "titlerules.engine.policy", "_run", 1))
    assert _private(Import("titlerules.redact", "titlerules.batch._polars", "polars", 1))
    assert not _private(Import("titlerules.lang.exprparse", "titlerules.lang.parser", "_x", 1))
    assert not _private(Import("titlerules.batch.runner", "titlerules.engine.verdict", "CODES", 1))
    assert _upward([Import("titlerules.engine.decision", "titlerules.audit.notebook", "x", 1)])
    assert not _upward([Import("titlerules.batch.runner", "titlerules.engine.policy", "x", 1)])


# ---------------------------------------------------------------- module-level mutable state

_MUTABLE_CALLS = {"dict", "list", "set", "defaultdict", "OrderedDict", "Counter", "deque"}
_MUTATORS = {
    "append",
    "add",
    "clear",
    "extend",
    "insert",
    "pop",
    "popitem",
    "remove",
    "setdefault",
    "update",
    "discard",
}

# Module-level values of a mutable type the engine keeps on purpose, each never changed.
ALLOWED_MUTABLE: dict[tuple[str, str], str] = {
    ("titlerules.engine.policy", "_DECISION_FIELDS"): "pydantic keeps a model's field names "
    "in a set; every decision shares this one, which nothing changes",
}


def _mutable_value(node: ast.expr) -> bool:
    if isinstance(node, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp | ast.SetComp):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        return name in _MUTABLE_CALLS
    return False


def _module_mutables(tree: ast.Module) -> dict[str, int]:
    """Names bound at module level to a new dict, list or set (literal or constructor),
    ``__all__`` and other dunders aside."""
    found: dict[str, int] = {}
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if value is None or not _mutable_value(value):
            continue
        for target in targets:
            if isinstance(target, ast.Name) and not target.id.startswith("__"):
                found[target.id] = node.lineno
    return found


def _mutated(tree: ast.Module, name: str) -> bool:
    """Whether the module changes ``name``'s value: item assignment or deletion, a mutating
    method, an augmented assignment, or a ``global`` rebinding."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
            if isinstance(node.value, ast.Name) and node.value.id == name:
                return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id == name and node.func.attr in _MUTATORS:
                return True
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            if node.target.id == name:
                return True
        if isinstance(node, ast.Global) and name in node.names:
            return True
    return False


def _engine_trees() -> list[tuple[str, ast.Module]]:
    return [
        (module, ast.parse(path.read_text(encoding="utf-8")))
        for module, path in _modules()
        if _part(module) == "engine"
    ]


def test_the_engine_keeps_no_module_level_mutable_values() -> None:
    """Caches belong to the policy that fills them (or to an object that says it is one):
    a module-level dict, list or set in the engine is refused, constants are written as
    tuples, frozensets and MappingProxyTypes."""
    found = [
        f"{module}:{line} {name}"
        for module, tree in _engine_trees()
        for name, line in _module_mutables(tree).items()
        if (module, name) not in ALLOWED_MUTABLE
    ]
    assert found == []


def test_the_allowed_mutable_values_exist_and_are_never_changed() -> None:
    trees = dict(_engine_trees())
    for module, name in ALLOWED_MUTABLE:
        tree = trees[module]
        assert name in _module_mutables(tree), f"{module}.{name} is gone: drop it from the list"
        assert not _mutated(tree, name), f"{module}.{name} is changed: it is a cache"


def test_the_mutable_value_checks_find_what_they_are_for() -> None:
    tree = ast.parse(
        "A = {}\nB: dict[str, int] = dict()\nC = (1, 2)\nD = [x for x in C]\n"
        "def f():\n    A['k'] = 1\n    D.append(2)\n"
    )
    assert set(_module_mutables(tree)) == {"A", "B", "D"}
    assert _mutated(tree, "A") and _mutated(tree, "D") and not _mutated(tree, "B")


# ---------------------------------------------------------------- parsing on several threads


def test_parsing_on_several_threads_gives_each_parse_its_own_comments() -> None:
    from titlerules.lang.exprparse import parse_expr
    from titlerules.lang.parser import parse
    from titlerules.lang.printer import format_policy
    from titlerules.resources import policies_dir

    texts = [p.read_text(encoding="utf-8") for p in sorted(policies_dir().glob("*.policy"))]
    assert len(texts) >= 2 and all("#" in text or "//" in text for text in texts[:2])
    expected = [format_policy(parse(text)) for text in texts]
    expressions = ['applicant.person.name == "x"', "1 + 2 > 2"]
    problems: list[str] = []
    start = threading.Barrier(8)

    def work(k: int) -> None:
        start.wait()
        for _ in range(3):
            for index in range(len(texts)):
                n = (index + k) % len(texts)
                if format_policy(parse(texts[n])) != expected[n]:
                    problems.append(f"thread {k}: policy {n} parsed differently")
                parse_expr(expressions[(index + k) % 2])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []


def test_a_comment_inside_an_expression_is_still_refused() -> None:
    from titlerules.errors import PolicySyntaxError
    from titlerules.lang.exprparse import parse_expr

    with pytest.raises(PolicySyntaxError, match="comment is not allowed"):
        parse_expr("1 + 2 # two\n > 2")


def test_the_audit_layer_registers_the_notebook_views_of_a_decision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The engine draws no decision itself: importing titlerules registers the views."""
    from titlerules.audit import notebook
    from titlerules.engine.decision import Decision
    from titlerules.errors import TitleRulesError

    assert Decision.views is not None and Decision.views() is notebook
    decision = titlerules.load_policy("eryuan-2024").evaluate({})
    assert "<table" in decision._repr_html_()
    monkeypatch.setattr(Decision, "views", None)
    with pytest.raises(TitleRulesError, match="no notebook views") as raised:
        decision._repr_html_()
    assert raised.value.code == "TR001"
