"""Keras' verbosity for the commands' fits: a bar on a terminal, plain lines in a log."""

from __future__ import annotations

import io

from rotkeras.cli._terminal import fit_verbosity


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal() -> None:
    assert fit_verbosity(False, stream=_Terminal()) == 1
    assert fit_verbosity(False, stream=io.StringIO()) == 2
    assert fit_verbosity(False, own_epoch_lines=True, stream=io.StringIO()) == 0
    assert fit_verbosity(False, own_epoch_lines=True, stream=_Terminal()) == 1


def test_quiet_means_no_keras_output() -> None:
    assert fit_verbosity(True, stream=_Terminal()) == 0
    assert fit_verbosity(True, stream=io.StringIO()) == 0
