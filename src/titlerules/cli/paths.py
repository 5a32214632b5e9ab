"""Command arguments that may name a folder: ``lint``, ``fmt`` and ``test`` take folders."""

from __future__ import annotations

from pathlib import Path

from titlerules.errors import Location, UsageError


def policy_files(names: list[str]) -> list[str]:
    """Each name as given, except a folder, which stands for its ``.policy`` files (in path
    order, subfolders included).  A folder without one is an error, never a silent success:
    YAML and JSON policies in a folder are named one by one, as a folder of policies also
    holds test cases and records written in YAML."""
    found: list[str] = []
    for name in names:
        path = Path(name)
        if not path.is_dir():
            found.append(name)
            continue
        inside = sorted(p for p in path.rglob("*.policy") if p.is_file())
        if not inside:
            raise UsageError(
                "no .policy file in the folder",
                location=Location(file=name),
                hint="name the policy files (a .yaml or .json policy is named one by one)",
            )
        found.extend(str(p) for p in inside)
    return found
