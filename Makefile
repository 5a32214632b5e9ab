# titlerules: two commands on a fresh machine, `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-long fuzz lint bench clean venv wheel-check

venv: $(STAMP)

# The project and its extras, installed with uv (from the package index, several times as fast
# as pip on a fresh machine); with pip when uv cannot be installed (no index, offline wheels).
# Both leave the packages compiled to byte-code (uv only when asked: --compile-bytecode), so
# that no process compiles them from source at start-up (where PYTHONDONTWRITEBYTECODE is set,
# every process would: a third of a one-record `titlerules check`).
EXTRAS := test,lint,notebook,audit,fast,lsp,db,spark
$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	if $(BIN)/python -m pip install --quiet uv && $(BIN)/python -m uv --version >/dev/null; then \
		$(BIN)/python -m uv pip install --quiet --compile-bytecode --python $(BIN)/python \
			-e ".[$(EXTRAS)]"; \
	else \
		$(BIN)/python -m pip install --quiet --upgrade pip && \
		$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"; \
	fi
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/titlerules demo

# The suite on every core (pytest-xdist; TEST_WORKERS=1 for one process).  The database tests
# run against a throw-away PostgreSQL server .ci/postgres.sh starts (and stops); the Spark
# tests need a Java runtime (.ci/run installs both when missing).
TEST_WORKERS ?= auto
TEST_DIST ?= --dist worksteal
# The sources are compiled to byte-code first: the processes the tests start (the command
# line, Spark's Python workers) then import it, even where PYTHONDONTWRITEBYTECODE is set.
test: $(STAMP)
	$(BIN)/python -m compileall -q -j 0 src
	.ci/postgres.sh run -- $(BIN)/python -m pytest -q -n $(TEST_WORKERS) $(TEST_DIST)

# The whole suite with the long budgets of its big differential and property tests
# (TITLERULES_TEST_LONG=1: 100,000 records through Spark and each database, 400 open-world
# policies; tests/services.py budget()) and of the fuzz tests (FUZZ_EXAMPLES).  Tens of minutes.
test-long: $(STAMP)
	TITLERULES_TEST_LONG=1 TITLERULES_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
		.ci/postgres.sh run -- $(BIN)/python -m pytest -q -n $(TEST_WORKERS) $(TEST_DIST)

# The fuzz tests with their long budgets: 10,000 inputs per entry point (tests/test_fuzz.py;
# `make test` runs the same tests with 1,000).  A few minutes.
FUZZ_EXAMPLES ?= 10000
fuzz: $(STAMP)
	TITLERULES_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -n $(TEST_WORKERS) tests/test_fuzz.py

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy src/titlerules

# Build the wheel, install it into a clean virtual environment (dependencies from the package
# index), load the bundled policies from outside the source tree, run the bundled policy tests
# and the demo (which must show decisions).
wheel-check: $(STAMP)
	rm -rf build/wheel-check && mkdir -p build/wheel-check
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation -w build/wheel-check .
	$(PYTHON) -m venv build/wheel-check/venv
	build/wheel-check/venv/bin/python -m pip install --quiet build/wheel-check/titlerules-*.whl
	cd build/wheel-check && venv/bin/titlerules policies
	cd build/wheel-check && venv/bin/titlerules check eryuan-2024 $(CURDIR)/examples/eryuan-2024/applicants/li-hua.yaml
	cd build/wheel-check && venv/bin/titlerules test
	cd build/wheel-check && venv/bin/titlerules demo > demo.txt && grep -q "符合申报条件" demo.txt

# The speed benchmarks: every peer, the table, benchmarks/results/latest.json (minutes).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[fast,bench,db,spark]"
	.ci/postgres.sh run -- $(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
