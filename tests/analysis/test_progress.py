"""The progress bar draws only on a terminal."""

from __future__ import annotations

import io

from prossima.analysis.progress import Progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_draws_on_a_tty_and_ends_the_line() -> None:
    stream = _Tty()
    bar = Progress("knox", stream=stream, width=10)
    for k in range(1, 5):
        bar(k, 4)
    text = stream.getvalue()
    assert "knox [##########] 100%" in text
    assert text.endswith("\n")


def test_stays_quiet_when_not_a_tty() -> None:
    stream = io.StringIO()
    Progress("knox", stream=stream)(1, 2)
    assert stream.getvalue() == ""
