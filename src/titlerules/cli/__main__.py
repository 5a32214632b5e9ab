"""``python -m titlerules.cli``: the ``titlerules`` command (as editors start ``lsp``)."""

from titlerules.cli import main

raise SystemExit(main())
