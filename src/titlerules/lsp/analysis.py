"""What the language server knows about one policy text, in the protocol's terms.

:func:`analyse` resolves and checks a text as the editor holds it (``titlerules lint``'s
checks: the checker and the citations against the notice); the other functions answer the
editor's requests from an :class:`Analysis`.  Positions are the protocol's: 0-based lines,
columns in UTF-16 code units; spans are the checker's: 1-based, in characters.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from titlerules.core.builtins import BUILTINS
from titlerules.engine.policy import lint_policy
from titlerules.errors import PolicyError, TitleRulesError
from titlerules.facts import ENUMS
from titlerules.facts.labels import field_label
from titlerules.lang import ir
from titlerules.lang import types as T
from titlerules.lang.checker import root_types
from titlerules.lang.convert import SPELLING_OF_SUFFIX, dump, load_text, read_policy_text
from titlerules.lang.diagnostics import Diagnostic
from titlerules.lang.loader import ResolvedPolicy, Sourced, find_policy
from titlerules.lang.notice import clauses, flatten, normal_path, read_source, source_path
from titlerules.lang.printer import format_expr

IDENT = r"[^\W\d]\w*"
_DOTTED = re.compile(rf"{IDENT}(?:\.{IDENT})*")
_IMPORT = re.compile(r'^\s*(import|extends)\s+"([^"]*)"')
_OVERRIDE = re.compile(rf"^\s*override\s+(param|exclusion|requirement|procedure)\s+({IDENT})")
_CONSEQUENCE_STMT = re.compile(rf"^\s*consequence\s+({IDENT})\s*$")
_DID_YOU_MEAN = re.compile(r"did you mean '([^']+)'\?")
_QUOTED = re.compile(r"'([^']+)'")
_UNEXPECTED_CHAR = re.compile(r"unexpected character '(.)'")

KEYWORDS = (
    "policy", "module", "title", "en", "jurisdiction", "issuer", "document", "issued", "year",
    "source", "sha256", "description", "import", "extends", "param", "let", "def", "override",
    "consequence", "clause", "exclusion", "requirement", "procedure", "cite", "applies", "when",
    "require", "unless", "severity", "note", "blocking", "advisory", "not_checkable",
    "exhortation", "definition", "heading", "if", "then", "else", "and", "or", "not", "in",
    "true", "false", "working_days", "days", "months", "years",
)  # fmt: skip

# What a Chinese keyboard types in place of the ASCII character the language needs (the
# parser's hints name them; the quick fix writes the ASCII one).
FULL_WIDTH = {
    "，": ",", "、": ",", "：": ":", "；": "", "＝": "=", "（": "(", "）": ")", "“": '"',
    "”": '"', "‘": '"', "’": '"', "\u3000": " ", "＞": ">", "＜": "<", "！": "!", "＋": "+",
    "－": "-",
}  # fmt: skip


@dataclass
class Analysis:
    """A policy text as the editor holds it, resolved and checked.

    ``resolved`` is None when the text does not parse; ``diagnostics`` holds every finding
    (the syntax error then).
    """

    path: Path
    text: str
    resolved: ResolvedPolicy | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def analyse(path: Path, text: str) -> Analysis:
    """Check a policy text as ``titlerules lint`` checks the file."""
    try:
        resolved, found = lint_policy(path, text)
    except TitleRulesError as exc:
        return Analysis(path, text, None, _error_diagnostics(exc, path))
    return Analysis(path, text, resolved, found)


def internal_error(exc: Exception, path: Path) -> Diagnostic:
    """A bug in titlerules met while checking the document, as a diagnostic at its start."""
    return Diagnostic(
        "TR000",
        "error",
        f"internal error of titlerules ({type(exc).__name__}: {exc})",
        ir.NO_SPAN,
        str(path),
        "this is a bug in titlerules: run 'titlerules --debug lint FILE' and report it",
    )


def _error_diagnostics(exc: TitleRulesError, path: Path) -> list[Diagnostic]:
    found = [d for d in getattr(exc, "diagnostics", ()) if isinstance(d, Diagnostic)]
    if found:
        return found
    where = exc.location
    line = where.line if where is not None and where.line else 0
    column = where.column if where is not None and where.column else 1
    file = where.file if where is not None and where.file else str(path)
    code = (
        exc.code
        if isinstance(exc.code, str)
        else ("TR300" if isinstance(exc, PolicyError) else "TR001")
    )
    span = ir.Span(line, column, line, column + 1) if line else ir.NO_SPAN
    return [Diagnostic(code, "error", exc.message, span, file, exc.hint)]


# ---------------------------------------------------------------- positions


def to_utf16(line: str, column: int) -> int:
    """A 0-based character column as UTF-16 code units."""
    return len(line[:column].encode("utf-16-le")) // 2


def from_utf16(line: str, units: int) -> int:
    """A UTF-16 column as a 0-based character column."""
    count = 0
    for index, char in enumerate(line):
        if count >= units:
            return index
        count += 2 if ord(char) > 0xFFFF else 1
    return len(line)


def _line(lines: list[str], number: int) -> str:
    return lines[number] if 0 <= number < len(lines) else ""


def span_range(span: ir.Span, text: str) -> lsp.Range:
    """A checker span as a protocol range (the start of the file when there is none)."""
    lines = text.split("\n")
    if not span.line:
        return lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
    start_line = span.line - 1
    start_col = max(span.column - 1, 0)
    if span.end_line:
        end_line, end_col = span.end_line - 1, max(span.end_column - 1, 0)
    else:
        end_line, end_col = start_line, len(_line(lines, start_line))
    return lsp.Range(
        lsp.Position(start_line, to_utf16(_line(lines, start_line), start_col)),
        lsp.Position(end_line, to_utf16(_line(lines, end_line), end_col)),
    )


def _name_range(text: str, line_number: int, name: str) -> lsp.Range:
    """The range of ``name`` written on a 1-based line (the line's start when absent)."""
    line = _line(text.split("\n"), line_number - 1)
    match = re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", line)
    start, end = (match.start(), match.end()) if match else (0, 0)
    return lsp.Range(
        lsp.Position(line_number - 1, to_utf16(line, start)),
        lsp.Position(line_number - 1, to_utf16(line, end)),
    )


def code_mask(line: str) -> list[bool]:
    """For each character of a line: whether it is code (not in a string or a comment)."""
    mask = [True] * len(line)
    in_string = False
    index = 0
    while index < len(line):
        char = line[index]
        if in_string:
            mask[index] = False
            if char == "\\":
                if index + 1 < len(line):
                    mask[index + 1] = False
                index += 2
                continue
            if char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            mask[index] = False
        elif char == "#":
            for rest in range(index, len(line)):
                mask[rest] = False
            break
        index += 1
    return mask


@dataclass(frozen=True)
class Word:
    """The dotted name under the cursor: its segments and the segment the cursor is on."""

    segments: tuple[str, ...]
    index: int
    start: int  # character columns of the whole dotted name on its line
    end: int

    @property
    def name(self) -> str:
        return self.segments[self.index]

    @property
    def prefix(self) -> str:
        """The path up to and including the segment under the cursor."""
        return ".".join(self.segments[: self.index + 1])


def word_at(line: str, column: int) -> Word | None:
    """The dotted name of code at a character column of a line, or None."""
    mask = code_mask(line)
    for match in _DOTTED.finditer(line):
        if match.start() <= column <= match.end() and mask[match.start()]:
            if match.start() > 0 and line[match.start() - 1].isdigit():
                continue
            segments = tuple(match.group().split("."))
            offset, index = match.start(), 0
            for number, segment in enumerate(segments):
                if offset + len(segment) >= column:
                    index = number
                    break
                offset += len(segment) + 1
            return Word(segments, index, match.start(), match.end())
    return None


# ---------------------------------------------------------------- diagnostics


def protocol_diagnostics(analysis: Analysis) -> dict[str, list[lsp.Diagnostic]]:
    """The diagnostics by file (the document and the files it imports), in protocol terms;
    the hint as related information, and in ``data`` for the quick fixes."""
    own = str(analysis.path)
    sources = dict(analysis.resolved.sources) if analysis.resolved else {}
    sources[own] = analysis.text
    out: dict[str, list[lsp.Diagnostic]] = {own: []}
    for d in analysis.diagnostics:
        file = d.file or own
        if file not in sources:  # a file that did not parse: its text is not in ``resolved``
            try:
                sources[file] = read_policy_text(file)
            except TitleRulesError:
                sources[file] = ""
        where = span_range(d.span, sources[file])
        related = None
        if d.hint:
            uri = Path(file).resolve().as_uri()
            related = [
                lsp.DiagnosticRelatedInformation(lsp.Location(uri, where), f"hint: {d.hint}")
            ]
        out.setdefault(file, []).append(
            lsp.Diagnostic(
                range=where,
                message=d.message,
                severity=(
                    lsp.DiagnosticSeverity.Error
                    if d.level == "error"
                    else lsp.DiagnosticSeverity.Warning
                ),
                code=d.code,
                source="titlerules",
                related_information=related,
                data={"hint": d.hint} if d.hint else None,
            )
        )
    _point_at_imports(analysis, out)
    return out


def _point_at_imports(analysis: Analysis, out: dict[str, list[lsp.Diagnostic]]) -> None:
    """An error in a file the document imports or extends is shown there, and on the
    document's ``import``/``extends`` line too (on its first line when the file is not
    imported directly): the author sees that the document does not check."""
    own = str(analysis.path)
    lines = analysis.lines
    imports: dict[Path, int] = {}
    for number, line in enumerate(lines):
        match = _IMPORT.match(line)
        if match:
            try:
                imports.setdefault(find_policy(match[2], analysis.path.parent).resolve(), number)
            except TitleRulesError:
                continue
    for file, found in list(out.items()):
        errors = [d for d in found if d.severity == lsp.DiagnosticSeverity.Error]
        if file == own or not errors:
            continue
        number = imports.get(Path(file).resolve(), 0)
        line = _line(lines, number)
        first = errors[0]
        where = Path(file).name
        out[own].append(
            lsp.Diagnostic(
                range=lsp.Range(
                    lsp.Position(number, 0), lsp.Position(number, to_utf16(line, len(line)))
                ),
                message=f"{len(errors)} error(s) in {where}: {first.message}",
                severity=lsp.DiagnosticSeverity.Error,
                code=first.code,
                source="titlerules",
                related_information=[
                    lsp.DiagnosticRelatedInformation(
                        lsp.Location(Path(file).resolve().as_uri(), first.range), first.message
                    )
                ],
            )
        )


# ---------------------------------------------------------------- hover


def hover(
    analysis: Analysis, resolved: ResolvedPolicy | None, position: lsp.Position
) -> str | None:
    """Markdown about what is under the cursor: a rule (or its ``cite``), a param, a derived
    value, a def, a record path, a function or a vocabulary term."""
    if resolved is None:
        return None
    lines = analysis.lines
    line = _line(lines, position.line)
    column = from_utf16(line, position.character)
    if line.lstrip().startswith("cite "):
        rule = _rule_around(resolved, str(analysis.path), position.line + 1)
        if rule is not None:
            return _rule_hover(resolved, rule)
    word = word_at(line, column)
    if word is None:
        return None
    name = word.name
    if word.index == 0:
        if name in resolved.rules:
            item = resolved.rules[name].item
            if isinstance(item, ir.Rule):
                return _rule_hover(resolved, item)
        for table in (resolved.params, resolved.lets, resolved.defs, resolved.consequences):
            if name in table:
                return _declaration_hover(resolved, table[name])
        if name in BUILTINS:
            return _builtin_hover(name)
        if name in ENUMS and len(word.segments) == 1:
            return _enum_class_hover(ENUMS[name])
    if word.segments[0] in root_types() and _path_type(word.prefix) is not None:
        return _path_hover(word.prefix)
    bound = _bound_variable(word.segments[0], line[: word.end])
    if bound is not None and word.index > 0:
        item_path = _item_path(bound, list(word.segments[1 : word.index + 1]))
        if _path_type(item_path) is not None:
            return _path_hover(item_path)
    if word.index == 1 and word.segments[0] in ENUMS:
        return _term_hover(name, ENUMS[word.segments[0]])
    if word.index > 0 and name in T.LIST_METHODS:
        return f"**list method** `.{name}(…)`: the function `x -> …` is {T.LIST_METHODS[name]}"
    if word.index == 0 or len(word.segments) == 1:
        return _term_hover(name, None)
    return None


def _rule_around(resolved: ResolvedPolicy, file: str, line: int) -> ir.Rule | None:
    for sourced in resolved.rules.values():
        item = sourced.item
        if isinstance(item, ir.Rule) and _same_file(sourced.file, file):
            end = item.span.end_line or item.span.line
            if item.span.line <= line <= end:
                return item
    return None


def _same_file(a: str, b: str) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def _rule_hover(resolved: ResolvedPolicy, rule: ir.Rule) -> str:
    parts = [f"**{rule.kind} `{rule.id}`** · {rule.severity}", "", rule.title]
    if rule.title_en:
        parts += ["", f"*{rule.title_en}*"]
    citation = rule.citation
    if citation is not None:
        heading, sentence = _in_notice(resolved, citation)
        parts += ["", f"**Clause {citation.clause}**" + (f" {heading}" if heading else "")]
        parts += ["", f"> {citation.quote}"]
        if sentence:
            parts += ["", f"Notice: {sentence}"]
    return "\n".join(parts)


def _in_notice(resolved: ResolvedPolicy, citation: ir.Citation) -> tuple[str, str | None]:
    """The cited clause's heading, and the sentence of the notice the quote stands in (the
    quote in bold)."""
    header = resolved.header
    if not header.source:
        return "", None
    path = source_path(header.source, resolved.path)
    if path is None:
        return "", None
    text = read_source(path)
    found = clauses(text)
    wanted = normal_path(citation.clause)
    heading = next((c.heading for c in found if c.path == wanted), "")
    quote = flatten(citation.quote)
    if not quote:
        return heading, None
    # The paragraph holding the quote (headings stand alone), else the whole text (a quote
    # may run over a page break).
    blocks = [flatten(block) for block in _paragraphs(text)]
    flat = next((block for block in blocks if quote in block), flatten(text))
    at = flat.find(quote)
    if at < 0:
        return heading, None
    stops = "。；！？"
    start = max((flat.rfind(stop, 0, at) for stop in stops), default=-1) + 1
    ends = [e for e in (flat.find(stop, at + max(len(quote) - 1, 0)) for stop in stops) if e >= 0]
    end = min(ends) + 1 if ends else len(flat)
    return heading, f"{flat[start:at]}**{quote}**{flat[at + len(quote) : end]}"


def _paragraphs(text: str) -> list[str]:
    """A notice's paragraphs: runs of lines between blank lines, each heading on its own."""
    found: list[str] = []
    current: list[str] = []
    for line in [*text.splitlines(), ""]:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            if current:
                found.append("\n".join(current))
                current = []
            if stripped:
                found.append(stripped.lstrip("#"))
            continue
        current.append(stripped)
    return found


def _comments(item: Any) -> list[str]:
    return [c.text.lstrip("#").strip() for c in getattr(item, "comments", ())]


def _declaration_hover(resolved: ResolvedPolicy, sourced: Sourced) -> str:
    item = sourced.item
    if isinstance(item, ir.Param):
        head = f"**param `{item.name}`**: `{item.type}` = `{format_expr(item.value)}`"
    elif isinstance(item, ir.Let):
        head = f"**let `{item.name}`** = `{format_expr(item.value)}`"
    elif isinstance(item, ir.Def):
        head = f"**def `{item.name}({', '.join(item.params)})`** = `{format_expr(item.body)}`"
    elif isinstance(item, ir.Consequence):
        head = f"**consequence `{item.name}`** ({item.citation.clause}) {item.citation.quote}"
        if item.gloss:
            head += f"\n\n*{item.gloss}*"
    else:  # pragma: no cover - the tables hold nothing else
        return ""
    parts = [head]
    notes = _comments(item)
    if notes:
        parts += ["", "\n".join(notes)]
    if not _same_file(sourced.file, resolved.path):
        parts += ["", f"declared in {Path(sourced.file).name}:{item.span.line}"]
    return "\n".join(parts)


def _builtin_hover(name: str) -> str:
    signature = BUILTINS[name].signature
    params = ", ".join(str(p) for p in signature.params) + (", …" if signature.variadic else "")
    return f"**function** `{name}({params}) -> {signature.result}`\n\n{signature.doc}"


def _path_type(path: str) -> T.Type | None:
    """The type of a record path; ``[]`` after a list field stands for its items."""
    segments = path.split(".")
    current: T.Type | None = root_types().get(segments[0])
    for segment in segments[1:]:
        items = segment.endswith("[]")
        if current is None or current.kind != "record":
            return None
        current = T.fields_of(current.arg).get(segment.removesuffix("[]"))
        if items:
            if current is None or current.kind not in ("list", "set"):
                return None
            current = _element(current)
    return current


def _item_path(bound: str, rest: list[str]) -> str:
    """The record path of a list item's variable and the fields after it."""
    return ".".join([f"{bound}[]", *rest])


def _element(t: T.Type) -> T.Type:
    return t.arg if t.kind in ("set", "list") and isinstance(t.arg, T.Type) else t


def _path_hover(path: str) -> str | None:
    found = _path_type(path)
    if found is None:
        return None
    root = path.split(".")[0]
    if path == root:
        return f"**record** `{root}`: `{found}`"
    try:
        zh, en = field_label(path, "zh", root), field_label(path, "en", root)
    except TitleRulesError:
        zh, en = "", ""
    parts = [f"**{zh}** / {en}", "", f"`{path}`: `{found}`"]
    inner = _element(found)
    if inner.kind == "enum":
        terms = [f"{m.zh} ({m.en})" for m in inner.arg]
        parts += ["", f"Vocabulary {inner.arg.__name__}: " + ", ".join(terms)]
    elif inner.kind == "record":
        parts += ["", "Fields: " + ", ".join(T.fields_of(inner.arg))]
    return "\n".join(parts)


def _enum_class_hover(cls: type[enum.Enum]) -> str:
    terms = ", ".join(f"{getattr(m, 'zh', m.name)} ({getattr(m, 'en', m.value)})" for m in cls)
    return f"**vocabulary** `{cls.__name__}`\n\n{terms}"


def _term_hover(term: str, cls: type[enum.Enum] | None) -> str | None:
    from titlerules.facts import lookup_enum_member

    members = [m for m in lookup_enum_member(term) if cls is None or type(m) is cls]
    if not members:
        return None
    return "\n\n".join(
        f"**{m.zh}** / {m.en} — term of `{type(m).__name__}` (`{m.value}`)" for m in members
    )


# ---------------------------------------------------------------- definitions, references


def definition(
    analysis: Analysis, resolved: ResolvedPolicy | None, position: lsp.Position
) -> list[lsp.Location]:
    """Where the name under the cursor is declared: a param, ``let``, ``def`` or consequence;
    an imported or extended file; the inherited item an ``override`` replaces."""
    line = _line(analysis.lines, position.line)
    column = from_utf16(line, position.character)
    imported = _IMPORT.match(line)
    if imported and imported.start(2) - 1 <= column <= imported.end(2) + 1:
        try:
            target = find_policy(imported[2], analysis.path.parent)
        except TitleRulesError:
            return []
        start = lsp.Position(0, 0)
        return [lsp.Location(target.resolve().as_uri(), lsp.Range(start, start))]
    if resolved is None:
        return []
    overriding = _OVERRIDE.match(line)
    if overriding and overriding.start(2) <= column <= overriding.end(2):
        return _inherited(resolved, analysis, overriding[1], overriding[2])
    word = word_at(line, column)
    if word is None or word.index != 0:
        return []
    tables = (resolved.params, resolved.lets, resolved.defs, resolved.consequences)
    for table in tables:
        if word.name in table:
            return [_declared_at(resolved, analysis, table[word.name])]
    return []


def _item_name(item: object) -> str:
    """The name an item is declared with (a rule's id)."""
    if isinstance(item, ir.Rule):
        return item.id
    name = getattr(item, "name", "")
    return name if isinstance(name, str) else ""


def _source_text(resolved: ResolvedPolicy, analysis: Analysis, file: str) -> str:
    if _same_file(file, str(analysis.path)):
        return analysis.text
    return resolved.sources.get(file, "")


def _declared_at(resolved: ResolvedPolicy, analysis: Analysis, sourced: Sourced) -> lsp.Location:
    item = sourced.item
    name = _item_name(item)
    text = _source_text(resolved, analysis, sourced.file)
    where = _name_range(text, item.span.line, name)
    return lsp.Location(Path(sourced.file).resolve().as_uri(), where)


def _inherited(
    resolved: ResolvedPolicy, analysis: Analysis, kind: str, name: str
) -> list[lsp.Location]:
    """The declarations of ``name`` in the files the document imports or extends."""
    words = "param" if kind == "param" else "exclusion|requirement|procedure"
    pattern = re.compile(rf"^\s*(?:override\s+)?(?:{words})\s+{re.escape(name)}(?!\w)", re.M)
    found = []
    for file, text in resolved.sources.items():
        if _same_file(file, str(analysis.path)):
            continue
        for match in pattern.finditer(text):
            number = text.count("\n", 0, match.start()) + 1
            found.append(
                lsp.Location(Path(file).resolve().as_uri(), _name_range(text, number, name))
            )
    return found


def references(
    analysis: Analysis,
    resolved: ResolvedPolicy | None,
    position: lsp.Position,
    include_declaration: bool,
) -> list[lsp.Location]:
    """Every use of the param, ``let``, ``def`` or consequence under the cursor, in the
    document and the files it is made of; on an ``import`` or ``extends``, every import of
    that file."""
    if resolved is None:
        return []
    line = _line(analysis.lines, position.line)
    imported = _IMPORT.match(line)
    if imported:
        return _imports_of(resolved, analysis, imported[2])
    word = word_at(line, from_utf16(line, position.character))
    if word is None or word.index != 0:
        return []
    name = word.name
    tables = (resolved.params, resolved.lets, resolved.defs, resolved.consequences)
    declared = next((t[name] for t in tables if name in t), None)
    if declared is None:
        return []
    declaration = _declared_at(resolved, analysis, declared)
    texts = dict(resolved.sources)
    texts[str(analysis.path)] = analysis.text
    out = []
    for file, text in texts.items():
        uri = Path(file).resolve().as_uri()
        for where in _uses(text, name):
            found = lsp.Location(uri, where)
            if not include_declaration and found == declaration:
                continue
            out.append(found)
    return out


def _imports_of(resolved: ResolvedPolicy, analysis: Analysis, path: str) -> list[lsp.Location]:
    """Every ``import`` or ``extends`` of the file ``path`` leads to, in the document and the
    files it is made of."""
    try:
        target = find_policy(path, analysis.path.parent).resolve()
    except TitleRulesError:
        return []
    texts = dict(resolved.sources)
    texts[str(analysis.path)] = analysis.text
    out = []
    for file, text in texts.items():
        for number, line in enumerate(text.split("\n")):
            match = _IMPORT.match(line)
            if match is None:
                continue
            try:
                found = find_policy(match[2], Path(file).parent).resolve()
            except TitleRulesError:
                continue
            if found == target:
                where = lsp.Range(
                    lsp.Position(number, to_utf16(line, match.start(2) - 1)),
                    lsp.Position(number, to_utf16(line, match.end(2) + 1)),
                )
                out.append(lsp.Location(Path(file).resolve().as_uri(), where))
    return out


def _uses(text: str, name: str) -> Iterator[lsp.Range]:
    pattern = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
    for number, line in enumerate(text.split("\n")):
        mask = code_mask(line)
        for match in pattern.finditer(line):
            if mask[match.start()]:
                yield lsp.Range(
                    lsp.Position(number, to_utf16(line, match.start())),
                    lsp.Position(number, to_utf16(line, match.end())),
                )


# ---------------------------------------------------------------- symbols


def symbols(analysis: Analysis) -> list[lsp.DocumentSymbol]:
    """The outline: the document's rules, params, lets, defs and consequences."""
    resolved = analysis.resolved
    if resolved is None or resolved.root_file is None:
        return []
    out = []
    kinds = {
        ir.Rule: lsp.SymbolKind.Class,
        ir.Param: lsp.SymbolKind.Constant,
        ir.Let: lsp.SymbolKind.Variable,
        ir.Def: lsp.SymbolKind.Function,
        ir.Consequence: lsp.SymbolKind.Event,
    }
    for item in resolved.root_file.items:
        kind = kinds.get(type(item))
        if kind is None or not item.span.line:
            continue
        name = _item_name(item)
        if isinstance(item, ir.Rule):
            detail = f"{item.kind} · {item.title}"
        elif isinstance(item, ir.Param):
            detail = f"param: {item.type}"
        else:
            detail = type(item).__name__.lower()
        whole = span_range(item.span, analysis.text)
        chosen = _name_range(analysis.text, item.span.line, name)
        out.append(
            lsp.DocumentSymbol(
                name=name, kind=kind, range=whole, selection_range=chosen, detail=detail
            )
        )
    return out


# ---------------------------------------------------------------- completion

_FIELD_PATH = re.compile(rf"({IDENT}(?:\.{IDENT})*)\.(\w*)$")
_CITE = re.compile(r"^\s*cite\s+(\S*)$")
_PARAM_TYPE = re.compile(rf"^\s*(?:override\s+)?param\s+{IDENT}\s*:\s*(\w+)(?:\[(\w+)\])?\s*=")
_COMPARED = re.compile(
    rf"({IDENT}(?:\.{IDENT})*)\s*(?:==|!=|\bnot\s+in\b|\bin\b)\s*\{{?(?:[^{{}}]*,\s*)?(\w*)$"
)


def completion(
    analysis: Analysis, resolved: ResolvedPolicy | None, position: lsp.Position
) -> list[lsp.CompletionItem]:
    """What may be written at the cursor: a record field after ``applicant.``/``procedure.``
    (and after a list item's variable), a vocabulary's terms where the type expects one,
    a clause of the notice after ``cite``, otherwise keywords, functions and names."""
    line = _line(analysis.lines, position.line)
    before = line[: from_utf16(line, position.character)]
    mask = code_mask(before)
    if before and not mask[-1] and not before.endswith('"'):
        return []  # in a string or a comment
    cited = _CITE.match(before)
    if cited:
        return _clause_items(resolved) if resolved is not None else []
    dotted = _FIELD_PATH.search(before)
    if dotted:
        return _after_dot(dotted[1], before, resolved)
    param = _PARAM_TYPE.match(before)
    if param:
        name = param[2] or param[1]
        if name in ENUMS:
            return _term_items(ENUMS[name])
    compared = _COMPARED.search(before)
    if compared:
        found = _expr_type(compared[1], before, resolved)
        if found is not None and _element(found).kind == "enum":
            return _term_items(_element(found).arg)
    return _general_items(resolved)


def _expr_type(path: str, before: str, resolved: ResolvedPolicy | None) -> T.Type | None:
    """The type of a dotted name: a record path, or a field of a list item's variable."""
    segments = path.split(".")
    if segments[0] in root_types():
        return _path_type(path)
    bound = _bound_variable(segments[0], before)
    if bound is not None:
        return _path_type(_item_path(bound, segments[1:]))
    if resolved is not None and len(segments) == 1 and path in resolved.params:
        item = resolved.params[path].item
        if isinstance(item, ir.Param):
            from titlerules.lang.types import parse_type_name

            return parse_type_name(item.type.name, item.type.arg, dict(ENUMS))
    return None


def _bound_variable(name: str, before: str) -> str | None:
    """The record path whose items ``name`` stands for (``applicant.titles.max(t -> t.``)."""
    pattern = re.compile(rf"({IDENT}(?:\.{IDENT})*)\.\w+\(\s*{re.escape(name)}\s*->")
    for match in reversed(list(pattern.finditer(before))):
        found = _path_type(match[1]) if match[1].split(".")[0] in root_types() else None
        if found is not None and found.kind in ("list", "set"):
            return match[1]
    return None


def _after_dot(path: str, before: str, resolved: ResolvedPolicy | None) -> list[lsp.CompletionItem]:
    if path in ENUMS:
        return _term_items(ENUMS[path])
    found = _expr_type(path, before, resolved)
    if found is None:
        return []
    if found.kind == "record":
        return _field_items(path, before, found.arg)
    if found.kind == "list":
        return [
            lsp.CompletionItem(m, kind=lsp.CompletionItemKind.Method, detail="list method")
            for m in T.LIST_METHODS
        ]
    if found.kind == "set":
        return [
            lsp.CompletionItem(m, kind=lsp.CompletionItemKind.Method, detail="set method")
            for m in T.SET_METHODS
        ]
    return []


def _field_items(path: str, before: str, model: Any) -> list[lsp.CompletionItem]:
    segments = path.split(".")
    if segments[0] not in root_types():
        bound = _bound_variable(segments[0], before)
        path = _item_path(bound, segments[1:]) if bound else path
    root = path.split(".")[0]
    items = []
    for name, kind in T.fields_of(model).items():
        try:
            zh = field_label(f"{path}.{name}", "zh", root)
            en = field_label(f"{path}.{name}", "en", root)
            words = f"{zh} / {en}"
        except (TitleRulesError, TypeError):
            words = ""
        items.append(
            lsp.CompletionItem(
                name,
                kind=lsp.CompletionItemKind.Field,
                detail=f"{kind}  {words}".strip(),
                documentation=lsp.MarkupContent(lsp.MarkupKind.Markdown, f"**{words}** `{kind}`"),
            )
        )
    return items


def _term_items(cls: type[enum.Enum]) -> list[lsp.CompletionItem]:
    items = []
    for member in cls:
        zh, en = getattr(member, "zh", member.name), getattr(member, "en", str(member.value))
        items.append(
            lsp.CompletionItem(
                zh, kind=lsp.CompletionItemKind.EnumMember, detail=f"{cls.__name__}: {en}"
            )
        )
        items.append(
            lsp.CompletionItem(
                str(member.value),
                kind=lsp.CompletionItemKind.EnumMember,
                detail=f"{cls.__name__}: {zh}",
                filter_text=str(member.value),
            )
        )
    return items


def _clause_items(resolved: ResolvedPolicy) -> list[lsp.CompletionItem]:
    header = resolved.header
    path = source_path(header.source, resolved.path) if header.source else None
    if path is None:
        return []
    return [
        lsp.CompletionItem(
            c.path,
            kind=lsp.CompletionItemKind.Reference,
            detail=c.heading,
            sort_text=f"{number:04d}",
        )
        for number, c in enumerate(clauses(read_source(path)))
    ]


def _general_items(resolved: ResolvedPolicy | None) -> list[lsp.CompletionItem]:
    items = [lsp.CompletionItem(k, kind=lsp.CompletionItemKind.Keyword) for k in KEYWORDS]
    items += [
        lsp.CompletionItem(
            name,
            kind=lsp.CompletionItemKind.Function,
            detail=_builtin_hover(name).split("\n")[0],
            documentation=b.signature.doc,
        )
        for name, b in BUILTINS.items()
    ]
    items += [
        lsp.CompletionItem(root, kind=lsp.CompletionItemKind.Module, detail="record")
        for root in root_types()
    ]
    items += [
        lsp.CompletionItem(name, kind=lsp.CompletionItemKind.Enum, detail="vocabulary")
        for name in ENUMS
    ]
    if resolved is not None:
        for name, sourced in resolved.params.items():
            item = sourced.item
            detail = f"param: {item.type}" if isinstance(item, ir.Param) else "param"
            items.append(
                lsp.CompletionItem(name, kind=lsp.CompletionItemKind.Constant, detail=detail)
            )
        items += [
            lsp.CompletionItem(name, kind=lsp.CompletionItemKind.Variable, detail="let")
            for name in resolved.lets
        ]
        items += [
            lsp.CompletionItem(name, kind=lsp.CompletionItemKind.Function, detail="def")
            for name in resolved.defs
        ]
    return items


# ---------------------------------------------------------------- formatting, quick fixes


def formatting(path: Path, text: str) -> list[lsp.TextEdit] | None:
    """The edit that gives the text ``titlerules fmt``'s layout; None when it does not
    parse, no edit when it is formatted."""
    spelling = SPELLING_OF_SUFFIX.get(path.suffix.lower(), "dsl")
    try:
        canonical = dump(load_text(text, spelling, str(path)), spelling)
    except TitleRulesError:
        return None
    if canonical == text:
        return []
    lines = text.split("\n")
    end = lsp.Position(len(lines) - 1, to_utf16(lines[-1], len(lines[-1])))
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), end), canonical)]


def quick_fixes(uri: str, text: str, diagnostics: list[lsp.Diagnostic]) -> list[lsp.CodeAction]:
    """A code action for each diagnostic whose hint names the fix: a "did you mean"
    replacement, or the ASCII character for a full-width one."""
    lines = text.split("\n")
    actions = []
    for d in diagnostics:
        hint = (d.data or {}).get("hint") if isinstance(d.data, dict) else None
        edit = _fix(lines, d, hint)
        if edit is None:
            continue
        title, text_edit = edit
        actions.append(
            lsp.CodeAction(
                title=title,
                kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[d],
                is_preferred=True,
                edit=lsp.WorkspaceEdit(changes={uri: [text_edit]}),
            )
        )
    return actions


def _fix(lines: list[str], d: lsp.Diagnostic, hint: str | None) -> tuple[str, lsp.TextEdit] | None:
    start = d.range.start
    line = _line(lines, start.line)
    column = from_utf16(line, start.character)
    char = _UNEXPECTED_CHAR.search(d.message)
    if char and char[1] in FULL_WIDTH and line[column : column + 1] == char[1]:
        ascii_ = FULL_WIDTH[char[1]]
        where = lsp.Range(
            lsp.Position(start.line, to_utf16(line, column)),
            lsp.Position(start.line, to_utf16(line, column + 1)),
        )
        title = f"Replace '{char[1]}' with '{ascii_}'" if ascii_ else f"Remove '{char[1]}'"
        return title, lsp.TextEdit(where, ascii_)
    suggestion = _DID_YOU_MEAN.search(hint or "")
    wrong = _QUOTED.search(d.message)
    if not suggestion or not wrong:
        return None
    written, meant = wrong[1], suggestion[1]
    at = line.find(written, column)
    if at < 0:
        return None
    where = lsp.Range(
        lsp.Position(start.line, to_utf16(line, at)),
        lsp.Position(start.line, to_utf16(line, at + len(written))),
    )
    return f"Replace '{written}' with '{meant}'", lsp.TextEdit(where, meant)
