"""How long the language server takes to show diagnostics after a change, on the largest
bundled policy: ``titlerules lsp`` in a child process, spoken to over stdio as an editor
does, each change a whole new text (one with a misspelt record path, then the fixed one,
by turns), timed from the change sent to its diagnostics received.

Peers measured in the same run, in this process, on the same texts: the server's own
analysis (``titlerules.lsp.analysis.analyse``), the check of ``titlerules lint``
(``lint_policy``) and the parse alone.

    python benchmarks/lsp_latency.py            # or as part of: make bench (group 5)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.lsp_client import LspClient  # noqa: E402

GROUP = "6. language server (largest bundled policy)"


def largest_policy() -> Path:
    from titlerules.resources import policies_dir

    return max(policies_dir().rglob("*.policy"), key=lambda p: p.stat().st_size)


def _in_process(fn: Any, texts: list[str], rounds: int) -> list[float]:
    fn(texts[0])  # warm-up: first imports, the notice read and cached
    times = []
    for index in range(rounds):
        started = time.perf_counter()
        fn(texts[index % 2])
        times.append(time.perf_counter() - started)
    return times


def measure(rounds: int = 40) -> list[dict[str, Any]]:
    from titlerules.engine.policy import lint_policy
    from titlerules.lang.parser import parse
    from titlerules.lsp.analysis import analyse

    source = largest_policy()
    good = source.read_text(encoding="utf-8")
    bad = good.replace("applicant.", "applicant.x", 1)
    assert bad != good
    texts = [bad, good]
    folder = Path(tempfile.mkdtemp(prefix="titlerules-lsp-bench-"))
    path = folder / source.name
    path.write_text(good, encoding="utf-8")
    lines = len(good.splitlines())

    client = LspClient(folder)
    server: list[float] = []
    try:
        client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        client.notify("initialized", {})
        uri = path.resolve().as_uri()
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "titlerules", "version": 1, "text": good}},
        )
        client.wait_for("textDocument/publishDiagnostics", uri, version=1)
        for index in range(rounds):
            version = index + 2
            text = texts[index % 2]
            started = time.perf_counter()
            client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": [{"text": text}],
                },
            )
            published = client.wait_for("textDocument/publishDiagnostics", uri, version=version)
            server.append(time.perf_counter() - started)
            assert bool(published["diagnostics"]) == (text is bad)
    finally:
        client.close()

    peers = {
        "analyse() in process (the server's work)": _in_process(
            lambda text: analyse(path, text), texts, rounds
        ),
        "lint_policy() (titlerules lint's check)": _in_process(
            lambda text: lint_policy(path, text), texts, rounds
        ),
        "parse only": _in_process(lambda text: parse(text, str(path)), texts, rounds),
    }
    rows = [("change -> diagnostics over stdio", server), *peers.items()]
    reference = statistics.median(peers["lint_policy() (titlerules lint's check)"])
    results = []
    for name, times in rows:
        median = statistics.median(times)
        p95 = sorted(times)[max(int(len(times) * 0.95) - 1, 0)]
        results.append(
            {
                "group": GROUP,
                "contestant": name,
                "seconds": median,
                "p95_seconds": p95,
                "ratio_to_lint": median / reference,
                "note": f"median of {len(times)}; p95 {p95 * 1000:.0f} ms; "
                f"{median / reference:.2f}x lint_policy; {source.name}, {lines} lines",
            }
        )
    return results


def main() -> int:
    for row in measure():
        print(f"  {row['contestant']:<44} {row['seconds'] * 1000:>8.1f} ms   {row['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
