import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _seed():
    import autodiff as ad
    ad.manual_seed(0)
    np.random.seed(0)
    yield


def pytest_terminal_summary(terminalreporter):
    """One line per skip reason with its count (e.g. the PyTorch parity tests without torch),
    so a run says why tests were skipped without listing each one (`pytest -rs` does that)."""
    reasons = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        terminalreporter.section("skipped, by reason")
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
            terminalreporter.line(f"{n:6d}  {reason}")
