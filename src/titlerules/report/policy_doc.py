"""Report layer: a policy as a Markdown page (``docs/policies/<id>.md``).

Every rule with its citation, verbatim quote and a plain-language reading built from the
rule's own parts (whom it applies to, what excludes or is required, its exceptions), every
parameter with its value, and the notice's clauses the policy lists as not machine-checkable.
"""

from __future__ import annotations

from titlerules.lang import ir
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
    return lines


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
    root = policy.root_file
    trailing = [c.text.rstrip() for c in root.trailing_comments] if root is not None else []
    if trailing:
        out += ["## Comments at the end of the policy", "", "```"]
        out += [t[1:] if t.startswith(" ") else t for t in trailing]
        out += ["```", ""]
    return "\n".join(out).rstrip() + "\n"
