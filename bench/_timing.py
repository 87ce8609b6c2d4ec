"""Shared timing helpers for the bench scripts.

Why the protocol (shared PERF-NOTES): OpenBLAS's idle worker busy-waits ~0.1 s after a
call, so a torch op timed right after a NumPy sgemm runs up to 2x slower.  We therefore
time candidates in alternating rounds with a short sleep between candidates, after a
warm-up, and report medians.  Both libraries get 2 threads: ``torch.set_num_threads(2)``
and ``numba.set_num_threads(2)``.

Why many short rounds: on this project's VMs one round's ratio ours/torch scatters by
7-16 % (one sigma; measured 2026-12-07 on the depthwise, 3x3 forward, conv1d and autoencoder
rows).  The median of n paired ratios then moves by 3-4.4 % between reruns at n = 25 (a
bootstrap over 60 rounds, matching the spread seen between 10-round blocks), so two reruns
of a 17-row bench differ by more than 10 % on a row or two by chance alone; at n = 60 it is
1.6-3 %.  The scripts therefore run 40-60 rounds, and the rows of one table are interleaved
round by round (``compare_rows``), so a drift of the machine's speed during the table lands
on every row alike instead of on the rows that happened to run in it.
Each table prints the interquartile range of its rows' per-round ratios and the
hypervisor's steal time, so a reader can tell a noisy row from a real change.
"""
import os
import statistics
import time

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
GAP_S = float(os.environ.get("BENCH_GAP", "0.12"))
# BENCH_CLOCK=cpu (set by ``python -m bench --cpu`` together with 1 thread everywhere) times
# with the process CPU clock: single-threaded CPU cost, nearly immune to other processes
# competing for the cores (wall-clock medians on a loaded machine are not).
CLOCK = time.process_time if os.environ.get("BENCH_CLOCK") == "cpu" else time.perf_counter


def setup_threads(n=THREADS):
    """Give torch (if installed) and numba ``n`` threads; return the torch module or None."""
    import numba

    import autodiff.kernels  # noqa: F401  (sets the workqueue threading layer first)
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(n)
    return torch


def setup_torch(script):
    """setup_threads(); the torch module, or None after saying ``script`` has nothing to
    compare against."""
    torch = setup_threads()
    if torch is None:
        print(f"{script}: torch is not installed; nothing to compare against")
    return torch


def _per_call(fn, number):
    t0 = CLOCK()
    for _ in range(number):
        fn()
    return (CLOCK() - t0) / number


def compare(candidates, rounds=15, number=None, warmup=3, gap=GAP_S, budget_s=0.1):
    """Time each callable in ``candidates`` (name -> fn or None); return name -> median ms.

    ``number`` calls per measurement (chosen from a first timing to take ~``budget_s``
    when not given).  Rounds alternate between candidates (forward, then reversed order),
    sleeping ``gap`` seconds before each measurement.
    """
    return compare_rows([candidates], rounds, number, warmup, gap, budget_s)[0]


def compare_rows(rows, rounds=15, number=None, warmup=3, gap=GAP_S, budget_s=0.1):
    """``compare`` for several rows of a table at once: a list of ``Timings``, one per
    candidates dict in ``rows``.

    Round i times every row before round i + 1 starts, so each row's rounds are spread over
    the whole table's run rather than bunched into a few seconds of it.  This VM's speed
    drifts over minutes, and the two libraries are not slowed alike; interleaved, every row
    samples the same mixture of machine states, so two reruns of the table agree better.
    ``BENCH_ROUNDS`` in the environment overrides ``rounds`` (quick looks while working).
    """
    rounds = int(os.environ.get("BENCH_ROUNDS", rounds))
    live = [{k: f for k, f in candidates.items() if f is not None} for candidates in rows]
    numbers = [{} for _ in rows]
    for fns, nums in zip(live, numbers):
        for name, fn in fns.items():
            for _ in range(warmup):
                fn()
            if number is None:
                one = _per_call(fn, 1)
                nums[name] = max(1, min(200, int(budget_s / max(one, 1e-6))))
            else:
                nums[name] = number
    samples = [{k: [] for k in fns} for fns in live]
    for i in range(rounds):
        for fns, nums, got in zip(live, numbers, samples):
            order = list(fns.items())
            # Every other round runs the candidates in reverse order, so that neither side of
            # a pair always follows the other (and inherits its cache state or its threads'
            # spin).
            for name, fn in (order if i % 2 == 0 else order[::-1]):
                time.sleep(gap)
                got[name].append(_per_call(fn, nums[name]))
    results = []
    for candidates, got in zip(rows, samples):
        out = Timings({k: None for k in candidates})
        out.update({k: 1e3 * statistics.median(v) for k, v in got.items()})
        out.mins = {k: 1e3 * min(v) for k, v in got.items()}
        out.samples = got
        results.append(out)
    return results


class Timings(dict):
    """name -> median ms; ``.mins`` holds name -> fastest ms (robust to a loaded machine);
    ``.samples`` name -> the per-round seconds, in round order (see ``paired_ratio``)."""

    mins = None
    samples = None


def paired_ratio(r, a="ours", b="torch"):
    """Median over rounds of a's time / b's time in the same round (or None).

    Each round times a and b back to back, so a slow spell of the machine (this VM's
    neighbours come and go over seconds) inflates both halves of a pair and cancels in the
    ratio; the ratio of the two medians lets such spells land on one side only."""
    if not r.samples or a not in r.samples or b not in r.samples:
        return None
    return statistics.median(x / y for x, y in zip(r.samples[a], r.samples[b]))


def ratio_quartiles(r, a="ours", b="torch"):
    """(first, third) quartile of the per-round ratios a/b of a ``compare`` result (or None):
    how far one round's ratio scatters, i.e. how much to trust the median."""
    if not r.samples or a not in r.samples or b not in r.samples or len(r.samples[a]) < 2:
        return None
    q1, _, q3 = statistics.quantiles([x / y for x, y in zip(r.samples[a], r.samples[b])], n=4)
    return q1, q3


def row(case, r, numpy=None, a="ours", b="torch"):
    """A ``print_table`` row from a ``compare`` result: both medians, the interquartile range
    of the per-round ratios and their median (the paired ratio)."""
    return (case, r.get(a), r.get(b), numpy, ratio_quartiles(r, a, b), paired_ratio(r, a, b))


def fmt(v, width=10, digits=3):
    if v is None:
        return "-".rjust(width)
    return f"{v:{width}.{digits}f}"


def machine():
    """One line on what the ratios depend on: the CPU model, its vector width, the BLAS kernel
    NumPy's OpenBLAS picked (threadpoolctl), and torch's CPU capability."""
    import numpy  # noqa: F401  (loads its OpenBLAS, so threadpoolctl can see it)
    model, fam, flags = "unknown CPU", "?", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, val = line.partition(":")
                key = key.strip()
                if key == "model name" and model == "unknown CPU":
                    model = val.strip()
                elif key == "cpu family" and fam == "?":
                    fam = val.strip()
                elif key == "flags" and not flags:
                    flags = set(val.split())
    except OSError:
        pass
    simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    blas = "NumPy BLAS: unknown (no threadpoolctl)"
    try:
        from threadpoolctl import threadpool_info
        for info in threadpool_info():
            if info.get("user_api") == "blas" and "numpy" in info.get("filepath", ""):
                blas = (f"NumPy BLAS: {info.get('internal_api')} {info.get('version')} "
                        f"kernel {info.get('architecture', '?')}")
                break
    except ImportError:
        pass
    core = os.environ.get("OPENBLAS_CORETYPE")
    if core:
        blas += f" (OPENBLAS_CORETYPE={core})"
    tcap = ""
    try:
        import torch
        cap = torch.backends.cpu.get_cpu_capability()
        tcap = f"; torch {torch.__version__} CPU capability {cap}"
    except ImportError:
        pass
    return (f"CPU: {model} (family {fam}), {os.cpu_count()} cores, {simd}; {blas}{tcap}")


def _cpu_ticks():
    """(steal, total) jiffies of all CPUs from /proc/stat, or None off Linux."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return ticks[7], sum(ticks)


_last_ticks = _cpu_ticks()


def _steal_since_last_table():
    """Percent of CPU time the hypervisor gave to other guests since the previous table (or
    since import): when it is high, both sides were starved and the ratios are less sure."""
    global _last_ticks
    now, before, _last_ticks = _cpu_ticks(), _last_ticks, _cpu_ticks()
    if now is None or before is None or now[1] <= before[1]:
        return None
    return 100.0 * (now[0] - before[0]) / (now[1] - before[1])


def print_table(title, rows):
    """rows: list of (case, ours_ms, torch_ms, numpy_ms[, (q1, q3)[, paired ratio]]) (``row``
    builds one); prints ratio ours/torch -- the paired ratio when given, else the ratio of the
    medians -- and the interquartile range of the per-round ratios when given, under a line
    naming the CPU, its vector width and the BLAS kernels (ratios move with all three)."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    steal = _steal_since_last_table()
    print(f"\n## {title}")
    print(machine())
    if CLOCK is time.process_time:
        print(f"(CPU-TIME MODE: {THREADS} thread(s), process CPU time per call, medians; "
              f"load average {load:.1f})")
    else:
        print(f"(medians of wall time, {THREADS} threads; ours/torch: median of the per-round "
              f"ratios; 1-min load average {load:.1f} on {os.cpu_count()} cores: a load above "
              f"the core count inflates every timing)")
    if steal is not None:
        print(f"(hypervisor steal {steal:.1f} % of CPU time while these rows ran; IQR: the "
              f"interquartile range of the per-round ratios)")
    print(f"{'case':<48}{'ours (ms)':>11}{'torch (ms)':>11}{'numpy (ms)':>11}{'ours/torch':>11}"
          f"{'IQR':>12}")
    for line in rows:
        case, ours, tor, npy = line[:4]
        spread = line[4] if len(line) > 4 else None
        ratio = line[5] if len(line) > 5 and line[5] is not None else (
            ours / tor if (ours is not None and tor) else None)
        iqr = f"{spread[0]:.2f}-{spread[1]:.2f}" if spread else "-"
        print(f"{case:<48}{fmt(ours, 11)}{fmt(tor, 11)}{fmt(npy, 11)}{fmt(ratio, 11, 2)}"
              f"{iqr:>12}")


def min_ratio(r, a="ours", b="torch"):
    """Ratio of the fastest rounds of two candidates of a ``compare`` result (or None)."""
    if not r.mins or a not in r.mins or b not in r.mins:
        return None
    return r.mins[a] / r.mins[b]
