"""The lint set-up agrees with itself: pre-commit runs the ruff version the dev extra pins (so a
commit hook and `make lint` judge the same way), and CI runs `make lint`. No network: the files
are only read."""

import os
import re
import tomllib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(name):
    with open(os.path.join(REPO, name), encoding="utf-8") as f:
        return f.read()


def test_pre_commit_runs_the_pinned_ruff_version():
    project = tomllib.loads(_read("pyproject.toml"))
    pins = [d for d in project["project"]["optional-dependencies"]["dev"] if d.startswith("ruff")]
    assert len(pins) == 1 and re.fullmatch(r"ruff==\d+\.\d+\.\d+", pins[0]), pins
    config = _read(".pre-commit-config.yaml")
    revs = re.findall(r"repo: https://github.com/astral-sh/ruff-pre-commit\s+rev: v(\S+)", config)
    assert revs == [pins[0].split("==")[1]]
    assert re.findall(r"- id: (ruff-\w+)", config) == ["ruff-check"]


def test_ruff_settings_match_the_code():
    ruff = tomllib.loads(_read("pyproject.toml"))["tool"]["ruff"]
    assert ruff["line-length"] == 100
    assert {"E", "F", "W", "I", "B", "UP"} <= set(ruff["lint"]["select"])
    assert "notebooks/*.ipynb" in ruff["extend-exclude"]  # their code is hashed with outputs


def test_make_lint_checks_and_ci_runs_it():
    makefile = _read("Makefile")
    target = makefile[makefile.index("\nlint:") :]
    target = target[: target.index("\n\n")]
    assert "ruff check ." in target
    assert re.search(r"^make lint\b", _read(".ci/run"), re.M)
