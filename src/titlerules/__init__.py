"""titlerules: executable, citable policy for China's professional-title (职称) evaluations."""

from __future__ import annotations

from titlerules._version import __version__

__all__ = ["__version__"]
