"""Report layer: a policy as a Markdown page (``docs/policies/<id>.md``).

Every rule with its citation, verbatim quote and a plain-language reading built from the
rule's own parts (whom it applies to, what excludes or is required, its exceptions, its
consequence), every parameter with its value, the consequences the policy declares, and the
clause map: every clause of the notice with the rules that encode it or the reason none does.
"""

from __future__ import annotations

from titlerules.lang import ir
from titlerules.lang.citations import clause_map
from titlerules.lang.loader import ResolvedPolicy
from titlerules.lang.printer import format_expr

_KIND = {
    "exclusion": ("排除条件", "exclusion"),
    "requirement": ("申报条件", "requirement"),
    "procedure": ("程序要求", "procedure"),
}


def _code(expr: ir.Expr) -> str:
    return "`" + format_expr(expr).replace("`", "'") + "`"


def _reading(rule: ir.Rule) -> list[str]:
    lines: list[str] = []
    if rule.applies is not None:
        lines.append(f"- Applies to records where {_code(rule.applies)}; otherwise not applicable.")
    if rule.kind == "exclusion" and rule.when is not None:
        lines.append(f"- The applicant is excluded when {_code(rule.when)}.")
    for condition in rule.require:
        subject = "The procedure" if rule.kind == "procedure" else "The applicant"
        lines.append(f"- {subject} must satisfy {_code(condition)}.")
    for exception in rule.unless:
        label = f" ({exception.label})" if exception.label else ""
        lines.append(f"- Unless{label}: {_code(exception.condition)}.")
    effect = (
        "decides the outcome (blocking)"
        if rule.severity == "blocking"
        else "is reported but does not decide (advisory)"
    )
    lines.append(f"- A failure of this rule {effect}.")
    lines.extend(f"- Note: {note}" for note in rule.notes)
    if rule.consequence is not None:
        lines.append(f"- Consequence when it fails: `{rule.consequence}` (see Consequences).")
    return lines


_REASON = {
    "not_checkable": "not machine-checkable",
    "exhortation": "exhortation",
    "definition": "definition",
    "heading": "heading",
}


def _clause_map(policy: ResolvedPolicy) -> list[str]:
    table = clause_map(policy)
    if not table.found:
        return []
    counts = {
        "rules": table.with_rules,
        "reason only": table.reason_only,
        "not accounted for": len(table.missing),
    }
    out = [
        "## Clause map",
        "",
        "Every clause of the notice, as the notice numbers it: the rules that encode it and, for "
        "what no rule encodes, the reason (`titlerules clauses "
        + table.policy_id
        + "`). "
        + ", ".join(f"{name}: {count}" for name, count in counts.items())
        + ". How the policy was checked against its notice, and the independent readings: "
        "[fidelity.md](../fidelity.md).",
        "",
        "| clause | heading | rules | reason |",
        "|---|---|---|---|",
    ]
    for entry in table.entries:
        rules = ", ".join(f"`{r}`" for r in (*entry.rules, *entry.consequences))
        reasons = "; ".join(f"*{_REASON[kind]}*: {text}" for kind, text in entry.reasons)
        cells = [entry.clause, entry.heading, rules, reasons or ("" if rules else "**none**")]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    out.append("")
    return out


def _comments(rule: ir.Rule) -> list[str]:
    texts = [c.text.strip() for slot, cs in rule.comments for c in cs if slot != "before"]
    return [t for t in texts if t]


def policy_markdown(policy: ResolvedPolicy) -> str:
    """The Markdown page of a resolved policy (deterministic: regenerating gives the same text)."""
    header = policy.header
    out = [f"# {header.id}: {header.title or ''}", ""]
    if header.title_en:
        out += [f"*{header.title_en}*", ""]
    facts = [
        ("Document", header.document),
        ("Issuer", header.issuer),
        ("Jurisdiction", header.jurisdiction),
        ("Issued", header.issued.isoformat() if header.issued else None),
        ("Policy year", str(header.year) if header.year else None),
        (
            "Source",
            f"`policies/sources/{header.source}` (sha256 `{header.source_sha256}`)"
            if header.source
            else None,
        ),
    ]
    out += ["| | |", "|---|---|"]
    out += [f"| {name} | {value} |" for name, value in facts if value]
    out += [
        "",
        "This page is generated from the policy file by `titlerules doc`; "
        "edit the policy, not this page.",
        "",
    ]
    params = [s.item for s in policy.params.values() if isinstance(s.item, ir.Param)]
    if params:
        out += ["## Parameters", "", "| name | type | value | note |", "|---|---|---|---|"]
        for param in params:
            note = " ".join(c.text.strip() for c in param.comments).replace("|", "\\|")
            out.append(f"| `{param.name}` | {param.type} | {_code(param.value)} | {note} |")
        out.append("")
    rules = [s.item for s in policy.rules.values() if isinstance(s.item, ir.Rule)]
    for kind in ("exclusion", "requirement", "procedure"):
        chosen = [r for r in rules if r.kind == kind]
        if not chosen:
            continue
        zh, en = _KIND[kind]
        out += [f"## {zh} ({en} rules, {len(chosen)})", ""]
        for rule in chosen:
            title = rule.title + (f" — {rule.title_en}" if rule.title_en else "")
            out += [f"### `{rule.id}`: {title}", ""]
            if rule.citation is not None:
                out += [
                    f"> {header.document or ''} {rule.citation.clause}: 「{rule.citation.quote}」",
                    "",
                ]
            out += _reading(rule)
            for comment in _comments(rule):
                out.append(f"- Reading: {comment}")
            out.append("")
    consequences = [
        s.item for s in policy.consequences.values() if isinstance(s.item, ir.Consequence)
    ]
    if consequences:
        out += ["## Consequences", ""]
        for consequence in consequences:
            gloss = f" — {consequence.gloss}" if consequence.gloss else ""
            brought = [r.id for r in rules if r.consequence == consequence.name]
            out += [
                f"- `{consequence.name}`{gloss}: {header.document or ''} "
                f"{consequence.citation.clause} 「{consequence.citation.quote}」; "
                f"named by {len(brought)} rule(s).",
            ]
        out.append("")
    out += _clause_map(policy)
    root = policy.root_file
    trailing = [c.text.rstrip() for c in root.trailing_comments] if root is not None else []
    if trailing:
        out += ["## Comments at the end of the policy", "", "```"]
        out += [t[1:] if t.startswith(" ") else t for t in trailing]
        out += ["```", ""]
    return "\n".join(out).rstrip() + "\n"
