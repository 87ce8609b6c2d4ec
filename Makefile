PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench install clean fuzz

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev,viz,data]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m autodiff demo

# Two pytest workers on two cores: one BLAS/OpenMP thread each, or idle BLAS workers spin
# against the other worker (PERF-NOTES). Benchmarks (make bench) use two threads.
test: $(STAMP)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest -q -n 2 tests

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) runs .pytest_cache

# Hostile fuzzing of the op table against PyTorch (tests/fuzz); FUZZ_EXAMPLES examples per op
# (make test runs 3). About 20 minutes with the default below on 2 cores.
FUZZ_EXAMPLES ?= 400
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
		$(PY) -m pytest -q -n 2 tests/fuzz
