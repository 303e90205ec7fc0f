"""Show a one-line progress bar on stderr, only when stderr is a terminal."""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Draw ``label [#####.....] 50%`` on a TTY; do nothing otherwise (logs stay clean)."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = -1

    def __call__(self, done: int, total: int) -> None:
        """Redraw the bar for ``done`` of ``total`` steps (at most once per percent)."""
        if not self.enabled or total <= 0:
            return
        pct = int(100 * done / total)
        if pct == self._last:
            return
        self._last = pct
        filled = int(self.width * done / total)
        bar = "#" * filled + "." * (self.width - filled)
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{self.label} [{bar}] {pct:3d}%{end}")
        self.stream.flush()
