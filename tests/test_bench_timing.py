"""The bench's statistics (bench/_timing.py): the paired ratio, its interquartile range and
the table line that prints them. Timings themselves are never asserted in tests."""
import pytest

_timing = pytest.importorskip("bench._timing")


def _timings(ours, torch):
    r = _timing.Timings(ours=sorted(ours)[len(ours) // 2], torch=sorted(torch)[len(torch) // 2])
    r.samples = {"ours": list(ours), "torch": list(torch)}
    return r


def test_paired_ratio_is_the_median_of_per_round_ratios():
    # a slow spell in round 3 hits both sides and cancels; the ratio of medians would not
    r = _timings([1.0, 1.0, 4.0, 1.0, 1.0], [2.0, 2.0, 8.0, 2.0, 1.0])
    assert _timing.paired_ratio(r) == pytest.approx(0.5)


def test_ratio_quartiles():
    r = _timings([1, 2, 3, 4, 5, 6, 7, 8, 9], [1] * 9)
    q1, q3 = _timing.ratio_quartiles(r)
    assert (q1, q3) == (pytest.approx(2.5), pytest.approx(7.5))
    assert _timing.ratio_quartiles(_timings([1.0], [1.0])) is None
    assert _timing.ratio_quartiles(_timing.Timings(ours=1.0)) is None


def test_table_prints_ratio_and_iqr(capsys):
    r = _timings([0.9, 1.0, 0.8, 1.1, 0.9], [1.0] * 5)
    _timing.print_table("t", [_timing.row("case A", r), ("case B", 2.0, 4.0, None)])
    lines = capsys.readouterr().out.splitlines()
    a = next(line for line in lines if line.startswith("case A"))
    b = next(line for line in lines if line.startswith("case B"))
    assert a.split()[-2:] == ["0.90", "0.85-1.05"]
    assert b.split()[-2:] == ["0.50", "-"]


def _recorder(log, tag):
    def fn():
        log.append(tag)
    return fn


def test_compare_rows_interleaves_rows_round_by_round(monkeypatch):
    monkeypatch.delenv("BENCH_ROUNDS", raising=False)
    log = []
    rows = [{"ours": _recorder(log, "a-ours"), "torch": _recorder(log, "a-torch")},
            {"ours": _recorder(log, "b-ours"), "torch": None}]
    out = _timing.compare_rows(rows, rounds=3, number=1, warmup=0, gap=0)
    # round 0: row a then row b; round 1 reverses each row's candidates; round 2 as round 0
    assert log == ["a-ours", "a-torch", "b-ours",
                   "a-torch", "a-ours", "b-ours",
                   "a-ours", "a-torch", "b-ours"]
    assert [len(r.samples["ours"]) for r in out] == [3, 3]
    assert out[1]["torch"] is None and "torch" not in out[1].samples
    assert out[0]["ours"] == pytest.approx(1e3 * sorted(out[0].samples["ours"])[1])


def test_bench_rounds_overrides_the_rounds(monkeypatch):
    monkeypatch.setenv("BENCH_ROUNDS", "2")
    log = []
    _timing.compare({"ours": _recorder(log, "x")}, rounds=50, number=3, warmup=1, gap=0)
    assert len(log) == 1 + 2 * 3
