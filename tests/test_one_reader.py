"""One reader for policies, records, decision logs, calendar override files, test cases
and the compile cache (titlerules.readers): each refuses a key given twice, a lone
surrogate escape and a path holding a NUL, with a titlerules error naming the file."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import titlerules.engine.policy as policy_module
from titlerules import diskcache
from titlerules.calendar import load_overrides
from titlerules.decision_log import DecisionLog, read_log
from titlerules.engine.policy import Policy, load_policy
from titlerules.errors import DecisionLogError, InputFileError, TitleRulesError
from titlerules.facts import load_applicant, load_records
from titlerules.testing import run_case_file

from .conftest import HEADER, REPO

SRC = REPO / "src" / "titlerules"
POLICY_BODY = (
    'exclusion civil "公务员不得参加职称评审" {\n'
    '  cite 二(一) "公务员不得参加职称评审"\n'
    "  when applicant.employment.is_civil_servant\n"
    "}\n"
)
OVERRIDES = "year: 2030\nsource: {source}\nholidays: []\nworkdays: []\n"
CASES = (
    "policy: eryuan-2024\ncases:\n  - name: {name}\n"
    "    applicant: {{employment: {{is_civil_servant: true}}}}\n"
    "    expect: {{outcome: ineligible}}\n"
)


def _policy_yaml(tmp_path: Path, title: str, twice: bool = False) -> Path:
    from titlerules.lang.convert import dump, load_policy_file

    source = tmp_path / "good.policy"
    source.write_text(HEADER + POLICY_BODY, encoding="utf-8")
    text = dump(load_policy_file(source), "yaml")
    assert "title: 测试政策" in text
    text = text.replace("title: 测试政策", f"title: {title}")
    if twice:
        text = text.replace(f"title: {title}", f"title: {title}\n  title: 另一个")
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _log(tmp_path: Path) -> Path:
    log = tmp_path / "log.jsonl"
    with DecisionLog(log) as writer:
        writer.evaluate(load_policy("eryuan-2024"), {"applicant": {}})
    return log


READERS: dict[str, Callable[[Path, str], Any]] = {}


def reader(name: str) -> Callable[[Callable[[Path, str], Any]], Callable[[Path, str], Any]]:
    def register(function: Callable[[Path, str], Any]) -> Callable[[Path, str], Any]:
        READERS[name] = function
        return function

    return register


@reader("record-yaml")
def _record_yaml(tmp_path: Path, fault: str) -> Any:
    path = tmp_path / "r.yaml"
    value = '"\\ud800"' if fault == "surrogate" else "李华"
    extra = "\n    name: 王五" if fault == "twice" else ""
    path.write_text(f"applicant:\n  person:\n    name: {value}{extra}\n", encoding="utf-8")
    return load_records(path)


@reader("record-json")
def _record_json(tmp_path: Path, fault: str) -> Any:
    path = tmp_path / "r.json"
    value = '"\\ud800"' if fault == "surrogate" else '"李华"'
    extra = ', "name": "王五"' if fault == "twice" else ""
    path.write_text(f'{{"applicant": {{"person": {{"name": {value}{extra}}}}}}}', "utf-8")
    return load_applicant(path)


@reader("policy-yaml")
def _policy(tmp_path: Path, fault: str) -> Any:
    title = '"\\ud800"' if fault == "surrogate" else "示例"
    return load_policy(_policy_yaml(tmp_path, title, twice=fault == "twice"))


@reader("overrides")
def _overrides(tmp_path: Path, fault: str) -> Any:
    path = tmp_path / "o.yaml"
    source = '"\\ud800"' if fault == "surrogate" else "通知"
    text = OVERRIDES.format(source=source)
    if fault == "twice":
        text += "year: 2031\n"
    path.write_text(text, encoding="utf-8")
    return load_overrides(path)


@reader("test-cases")
def _cases(tmp_path: Path, fault: str) -> Any:
    path = tmp_path / "cases.yaml"
    name = '"\\udc00"' if fault == "surrogate" else "公务员"
    text = CASES.format(name=name)
    if fault == "twice":
        text += "    expect: {outcome: eligible}\n"
    path.write_text(text, encoding="utf-8")
    return run_case_file(path)


@reader("decision-log")
def _decision_log(tmp_path: Path, fault: str) -> Any:
    log = _log(tmp_path)
    line = log.read_text("utf-8").rstrip("\n")
    assert line.startswith("{") and line.endswith("}")
    if fault == "surrogate":
        line = line[:-1] + ',"note":"\\ud800"}'
    elif fault == "twice":
        line = line[:-1] + ',"policy_id":"other"}'
    log.write_text(line + "\n", encoding="utf-8")
    return list(read_log(log))


@pytest.mark.parametrize("name", sorted(READERS))
def test_every_reader_reads_a_good_file(name: str, tmp_path: Path) -> None:
    result = READERS[name](tmp_path, "none")
    assert result if not isinstance(result, tuple) else result[0]


@pytest.mark.parametrize("name", sorted(set(READERS) - {"decision-log"}))
def test_every_reader_refuses_a_key_given_twice_naming_both_places(
    name: str, tmp_path: Path
) -> None:
    with pytest.raises(InputFileError, match=r"duplicate key '\w+' \(first at .*:\d+:\d+\)"):
        READERS[name](tmp_path, "twice")


def test_a_log_entry_with_a_key_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DecisionLogError, match="duplicate key 'policy_id'"):
        READERS["decision-log"](tmp_path, "twice")


@pytest.mark.parametrize("name", sorted(READERS))
def test_every_reader_refuses_a_lone_surrogate(name: str, tmp_path: Path) -> None:
    with pytest.raises(TitleRulesError, match="half of a surrogate pair") as caught:
        READERS[name](tmp_path, "surrogate")
    assert caught.value.location is not None and caught.value.location.file


@pytest.mark.parametrize(
    "read",
    [
        load_records,
        load_applicant,
        load_overrides,
        load_policy,
        read_log,
        lambda path: run_case_file(Path(path)),
    ],
)
def test_a_path_holding_a_nul_is_our_error(read: Callable[[Any], Any]) -> None:
    with pytest.raises(TitleRulesError, match="NUL"):
        result = read("a\0b.yaml")
        list(result) if not isinstance(result, dict | Policy) else None


def test_the_cache_index_is_read_by_the_one_json_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("TITLERULES_CACHE_DIR", str(cache))
    monkeypatch.delenv("TITLERULES_CACHE", raising=False)
    monkeypatch.setattr(policy_module, "LOADED", policy_module.LoadedPolicies())
    path = tmp_path / "p.policy"
    path.write_text(HEADER + POLICY_BODY, encoding="utf-8")
    load_policy(path)
    (index,) = cache.glob("*.sources.json")
    payload = index.read_bytes()[len(diskcache.MAGIC) + 65 :]
    data = json.loads(payload)
    # The same index with a key given twice, under a checksum that matches: not trusted.
    text = json.dumps(data)[:-1] + ', "sha256": "' + "f" * 64 + '"}'
    policy_module._write_checked(index, text.encode("utf-8"))
    monkeypatch.setattr(policy_module, "LOADED", policy_module.LoadedPolicies())
    assert policy_module._read_index(index) is None
    assert not index.exists() or policy_module._read_index(index) is not None
    assert load_policy(path).rules


# The modules that read files of user input, and nothing else, parse YAML or JSON.
READER_MODULES = {"readers.py", "uniquekeys.py"}


def test_no_module_parses_yaml_or_json_but_the_readers() -> None:
    found = []
    for file in sorted(SRC.rglob("*.py")):
        if file.name in READER_MODULES:
            continue
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and (node.func.value.id, node.func.attr)
                in {("json", "loads"), ("json", "load"), ("yaml", "load"), ("yaml", "safe_load")}
            ):
                found.append(f"{file.relative_to(SRC)}:{node.lineno}")
    assert found == []
