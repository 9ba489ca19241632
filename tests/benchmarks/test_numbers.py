"""The numbers benchmark's parts that need no photos: options, source halves, scores."""

from __future__ import annotations

import argparse

import pytest

from benchmarks import numbers

pytestmark = pytest.mark.backend_independent


def test_turns_option_takes_right_angles_only() -> None:
    assert numbers._turns("0") == (0,)
    assert numbers._turns("0,90,180,270") == numbers.TURNS
    for text in ("45", "", "0,up"):
        with pytest.raises(argparse.ArgumentTypeError, match="right angles"):
            numbers._turns(text)


def test_source_halves_keep_a_source_together_and_balance_photos() -> None:
    sources = ["a/x"] * 4 + ["B/y"] * 2 + ["b/y"] + ["c/z"] * 3
    halves = numbers.source_halves(sources)
    assert len(set(halves[4:7])) == 1  # one source, whatever its case
    assert halves[0] != halves[4] and halves.count(0) in (4, 6) and halves.count(1) in (4, 6)


def test_score_counts_exact_numbers_digits_and_orientation() -> None:
    items = [{"label": "123", "text": "123", "orientation": 0, "turn": 0},
             {"label": "45", "text": "46", "orientation": 90, "turn": 0}]
    assert numbers.score(items) == {"photos": 2, "exact": 0.5, "digits": 0.8,
                                    "orientation": 0.5}
    assert numbers.score([]) == {"photos": 0}


def test_results_name_a_weights_file_without_its_folder() -> None:
    assert numbers._label("shipped") == "shipped"
    assert numbers._label("/somewhere/reader.weights.h5") == "reader.weights.h5"
