"""bench/benchmark.py's figures: a ratio against a target is shown precisely enough that a
missed target never reads as met, and each round's own ratios are reported beside the
medians (how far one round is from the next)."""

from bench.benchmark import Row, paired_spread, table


def test_a_ratio_just_under_its_target_is_shown_to_the_thousandth() -> None:
    near = Row("throughput (runs/s)", 14.96, 15.77, "runs/s", ">= 0.95x", 14.96 / 15.77 >= 0.95)
    line = table([near]).splitlines()[-1]
    assert "| 0.949x | >= 0.95x **missed** |" in line


def test_a_ratio_without_a_target_keeps_two_decimals() -> None:
    server = Row("server CPU per run", 56.6, 54.18, "ms")
    assert table([server]).splitlines()[-1].endswith("| 1.04x |  |")


def test_each_rounds_ratio_is_paired_within_its_round_and_sorted() -> None:
    # (throughput, worker CPU, server CPU) per round; round 2 is the slow one on both sides.
    samples = {
        "overseer": [(10.0, 24.0, 50.0), (5.0, 26.0, 50.0), (9.0, 22.0, 50.0)],
        "bare": [(10.0, 20.0, 50.0), (5.5, 20.0, 50.0), (10.0, 20.0, 50.0)],
    }
    line = paired_spread(samples)
    assert "throughput 0.90 0.91 1.00;" in line
    assert "worker CPU 1.10 1.20 1.30;" in line
    assert line.endswith("median 0.909x, 1.200x")
