PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Two pytest workers on two cores: one BLAS/OpenMP thread each, or idle BLAS workers spin
# against the other worker (docs/DEVELOPING.md, Speed facts). Benchmarks (make bench) use two threads.
# tests/conftest.py prints one line per skip reason (PyTorch parity tests skip without torch).
PYTEST := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest -q -n 2 tests

.PHONY: demo test test-fast lint bench install clean clean-numba fuzz

$(STAMP): pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev,viz,data]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m autodiff demo

test: $(STAMP)
	$(PYTEST)

# Everything but the tests marked slow (model training, notebooks, the CLI's training runs,
# the bounds-checked compile of every kernel).
test-fast: $(STAMP)
	$(PYTEST) -m "not slow"

# ruff check only (pyproject.toml [tool.ruff]); `$(VENV)/bin/ruff check --fix` fixes most
# findings. `ruff format` is not enforced on the tree: formatting it all rewrites 248 of 289
# files, grows 9 modules past 500 lines and doubles the repeated-line pairs that `duplicates`
# finds (65 -> 136); new packages (autodiff/cli, viz, utils/data) are formatted.
lint: $(STAMP)
	$(PY) -m ruff check .

bench: $(STAMP)
	$(PY) -m bench

clean: clean-numba
	rm -rf $(VENV) runs .pytest_cache build dist

# numba's cache only checks the file defining a kernel, not helpers it inlines from other
# modules (docs/DEVELOPING.md, Speed facts): after editing such a helper, drop the caches
clean-numba:
	find autodiff nn optim -name '*.nbi' -delete -o -name '*.nbc' -delete

# Hostile fuzzing against PyTorch (tests/fuzz): FUZZ_EXAMPLES examples per op-table op, 4x that
# per kernel-backed op (make test runs 3). The default took 19 min on 2 cores shared with
# other jobs (load ~16); on a quiet machine expect well under that.
FUZZ_EXAMPLES ?= 300
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
		$(PY) -m pytest -q -n 2 tests/fuzz
