"""The language layer against the notice: clause numbering, citations, the clause map, the
``clauses`` command and the consequence and clause items in every spelling."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from titlerules.cli import main
from titlerules.engine.policy import lint_policy
from titlerules.lang import ir, yaml_io
from titlerules.lang.citations import clause_map
from titlerules.lang.loader import resolve
from titlerules.lang.notice import clauses, find_quote, subtree_text
from titlerules.lang.parser import parse
from titlerules.lang.printer import format_policy
from titlerules.resources import policies_dir

SOURCES = policies_dir() / "sources"

NOTICE = """\
# 某县人力资源和社会保障局文件

### 一、评审程序

评委会严格按照时间要求完成相关工作。

(一) 时间要求: 5月31日前发布评审通知。

（二）评审结果公示：公示时间不少于 5 个工作日。

### 二、推荐评审工作

（一）推荐评审条件

1. 申报人从事专业技术工作年限计算截止 2024 年 12 月 31 日。

2.2020年以前已提交评审未获通过的人员，须提供新的业绩成果。

3. 离退休人员不得参加职称评审。

- 附件：1. 评审工作情况表
2. 诚信承诺书

附件 2:

诚信承诺书

备注：1. 本表由用人单位填报。
"""


def test_clauses_follow_the_notice_numbering() -> None:
    found = clauses(NOTICE)
    assert [c.path for c in found] == [
        "一",
        "一(一)",
        "一(二)",
        "二",
        "二(一)",
        "二(一)1",
        "二(一)2",
        "二(一)3",
        "附件1",
        "附件2",
    ]
    by_path = {c.path: c for c in found}
    assert by_path["一(一)"].heading == "时间要求"
    assert by_path["二(一)"].parent == "二"
    assert by_path["二(一)2"].parent == "二(一)"
    # An attachment is listed, then its own text follows: one clause with both parts; the
    # numbers in its 备注 are not items of the notice.
    assert "诚信承诺书" in by_path["附件2"].text
    assert "本表由用人单位填报" in by_path["附件2"].text


def test_a_number_counts_only_as_the_next_item_of_its_list() -> None:
    text = "一、范围\n\n（一）条件\n\n1. 第一项\n\n2024年起施行。\n\n3. 不是第二项\n\n2. 第二项\n"
    assert [c.path for c in clauses(text)] == ["一", "一(一)", "一(一)1", "一(一)2"]


def test_quotes_are_found_whatever_the_spaces_and_bracket_widths() -> None:
    found = clauses(NOTICE)
    assert find_quote(NOTICE, "公示时间不少于5个工作日")
    assert find_quote(NOTICE, "(一)时间要求")
    assert not find_quote(NOTICE, "公示时间不少于7个工作日")
    assert not find_quote(NOTICE, "  ")
    assert find_quote(subtree_text(found, "一"), "5月31日前发布评审通知")
    assert not find_quote(subtree_text(found, "一(二)"), "5月31日前发布评审通知")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("000_2a8c394c015eda13.txt", ["二(二)6", "二(三)4", "三(二)", "四(五)", "附件3"]),
        ("001_2dc9cc3202dab739.txt", ["六(一)2", "六(三)4", "六(五)", "九(二)4", "附件9"]),
        ("002_d5296c5a418e3083.txt", ["三(五)", "四(六)"]),
        ("003_fbaa3c861bd61419.txt", ["三(一)4", "五(三)", "八(六)", "附件4"]),
    ],
)
def test_the_bundled_notices_are_numbered_as_they_read(source: str, expected: list[str]) -> None:
    paths = [c.path for c in clauses((SOURCES / source).read_text(encoding="utf-8"))]
    assert set(expected) <= set(paths)
    assert len(paths) == len(set(paths))


POLICY = """\
policy t-2024 {{
  title "t"
  document "某人社〔2024〕1号"
  year 2024
  source "notice.txt" sha256 "{sha}"
}}

consequence not_recognised 一 "评委会严格按照时间要求完成相关工作。" en "as the notice says"

clause 一 heading "评审程序"
clause 一(二) not_checkable "公示 windows are not in the record"
clause 二 heading "推荐评审工作"
clause 二(一) heading "推荐评审条件"
clause 二(一)1 definition "年限计算截止: service_cutoff"
clause 二(一)2 not_checkable "新的业绩成果 are judged by the committee"
clause 附件1 definition "the form of the work summary"
clause 附件2 definition "the pledge form"

procedure notice_by_deadline "5月31日前发布评审通知" {{
  cite 一(一) "5月31日前发布评审通知"
  require procedure.notice.published_on <= 2024-05-31
  consequence not_recognised
}}

exclusion retired "离退休人员不得参加职称评审" {{
  cite 二(一)3 "离退休人员不得参加职称评审"
  when applicant.employment.retired
}}
"""


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    (tmp_path / "notice.txt").write_text(NOTICE, encoding="utf-8")
    sha = hashlib.sha256(NOTICE.encode("utf-8")).hexdigest()
    path = tmp_path / "t.policy"
    path.write_text(POLICY.format(sha=sha), encoding="utf-8")
    return path


def test_a_complete_clause_map_lints_clean(policy_file: Path) -> None:
    _, diagnostics = lint_policy(policy_file)
    assert [d.code for d in diagnostics] == []
    table = clause_map(resolve(policy_file))
    assert table.missing == ()
    entries = {e.clause: e for e in table.entries}
    assert entries["一(一)"].rules == ("notice_by_deadline",)
    assert entries["一"].consequences == ("not_recognised",)
    assert entries["二(一)2"].reasons == (
        ("not_checkable", "新的业绩成果 are judged by the committee"),
    )


@pytest.mark.parametrize(
    ("old", "new", "code", "level"),
    [
        (
            'clause 二(一)2 not_checkable "新的业绩成果 are judged by the committee"\n',
            "",
            "TR343",
            "warning",
        ),
        ('cite 二(一)3 "离退休人员', 'cite 二(一)4 "离退休人员', "TR340", "error"),
        ('"离退休人员不得参加职称评审"\n', '"退休人员不得申报职称评审"\n', "TR341", "error"),
        ('cite 一(一) "5月31日前', 'cite 一(二) "5月31日前', "TR342", "warning"),
        ("clause 附件1 definition", "clause 附件3 definition", "TR340", "error"),
        (
            'consequence not_recognised 一 "评委会严格',
            'consequence not_recognised 二 "评委会严格',
            "TR342",
            "warning",
        ),
    ],
)
def test_each_citation_fault_is_reported(
    policy_file: Path, old: str, new: str, code: str, level: str
) -> None:
    text = policy_file.read_text(encoding="utf-8")
    assert old in text
    policy_file.write_text(text.replace(old, new), encoding="utf-8")
    _, diagnostics = lint_policy(policy_file)
    assert (code, level) in [(d.code, d.level) for d in diagnostics]


def test_a_notice_changed_under_the_policy_is_reported(policy_file: Path) -> None:
    notice = policy_file.parent / "notice.txt"
    notice.write_text(NOTICE + "\n补充通知。\n", encoding="utf-8")
    _, diagnostics = lint_policy(policy_file)
    assert [d.code for d in diagnostics] == ["TR344"]


def test_consequence_and_clause_items_survive_every_spelling(policy_file: Path) -> None:
    text = policy_file.read_text(encoding="utf-8")
    pf = parse(text)
    assert format_policy(pf) == text
    assert yaml_io.load_yaml(yaml_io.dump_yaml(pf)) == pf
    assert yaml_io.load_json(yaml_io.dump_json(pf)) == pf
    [consequence] = pf.consequences
    assert consequence == ir.Consequence(
        "not_recognised",
        ir.Citation("一", "评委会严格按照时间要求完成相关工作。"),
        "as the notice says",
    )
    assert [n.kind for n in pf.clause_notes][:2] == ["heading", "not_checkable"]
    assert pf.rules[0].consequence == "not_recognised"


def test_an_unknown_clause_kind_is_a_syntax_error(policy_file: Path) -> None:
    from titlerules.errors import PolicySyntaxError

    text = policy_file.read_text(encoding="utf-8").replace('heading "评审程序"', 'obvious "x"')
    with pytest.raises(PolicySyntaxError):
        parse(text)


def test_clauses_command_prints_the_map_and_fails_on_a_gap(
    policy_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["clauses", str(policy_file), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["clause"] for r in rows][:3] == ["一", "一(一)", "一(二)"]
    assert rows[1] == {
        "clause": "一(一)",
        "heading": "时间要求",
        "rules": ["notice_by_deadline"],
        "consequences": [],
        "reason": [],
    }
    text = policy_file.read_text(encoding="utf-8").replace('clause 二 heading "推荐评审工作"\n', "")
    policy_file.write_text(text, encoding="utf-8")
    assert main(["clauses", str(policy_file), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "二  " in out and "NOT ACCOUNTED FOR" in out
    assert "not accounted for 1" in out
