"""Render an excerpt of a bundled policy with the titlerules Pygments lexer and take a
screenshot of it in headless Chromium: docs/images/editors-highlighted-policy.png.

    python editors/highlight_screenshot.py [--chromium chromium]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter

from titlerules.highlight import PolicyLexer
from titlerules.resources import policies_dir

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images" / "editors-highlighted-policy.png"
# Lines of eryuan-2024.policy shown (1-based, inclusive), "..." between the parts.
PARTS = ((1, 2), (11, 12), (16, 21), (98, 99), (545, 550), (555, 563))


def excerpt() -> str:
    lines = (policies_dir() / "eryuan-2024.policy").read_text(encoding="utf-8").split("\n")
    shown: list[str] = []
    for number, (first, last) in enumerate(PARTS):
        shown += lines[first - 1 : last]
        if number == 0:
            shown += ["  ...", "}", ""]
        elif number == 3:
            shown += ["", "...", ""]
        elif number != len(PARTS) - 1:
            shown.append("")
    return "\n".join([*shown, "}"])


def page() -> str:
    formatter = HtmlFormatter(style="friendly", cssclass="hl")
    body = highlight(excerpt(), PolicyLexer(), formatter)
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; background: #f6f8fa; font-family: 'DejaVu Sans', sans-serif; }}
.wrap {{ padding: 16px 20px; }}
h1 {{ font-size: 15px; color: #444; margin: 0 0 10px 0; font-weight: normal; }}
.hl pre {{ font-family: 'DejaVu Sans Mono', 'Noto Sans Mono CJK SC', monospace;
  font-size: 14px; line-height: 1.45; margin: 0; padding: 14px; background: #fff;
  border: 1px solid #ddd; border-radius: 6px; white-space: pre-wrap; }}
{formatter.get_style_defs(".hl")}
</style></head><body><div class="wrap"><h1>policies/eryuan-2024.policy (excerpt),
highlighted by the titlerules Pygments lexer: <code>pygmentize -l titlerules</code>,
<code>```titlerules</code> in Jupyter, Sphinx and MkDocs</h1>{body}</div></body></html>"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chromium", default="chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        html = Path(folder) / "policy.html"
        html.write_text(page(), encoding="utf-8")
        shot = Path(folder) / "policy.png"
        subprocess.run(
            [
                args.chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--screenshot={shot}",
                "--window-size=1280,900",
                html.as_uri(),
            ],
            check=True,
            capture_output=True,
        )
        OUT.write_bytes(shot.read_bytes())  # whole: taken in the temp folder first
    print(f"written {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
