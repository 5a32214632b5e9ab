# titlerules: two commands on a fresh machine, `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test fuzz lint bench clean venv wheel-check

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,lint,notebook,audit,fast,lsp,db,spark]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/titlerules demo

# The suite on every core (pytest-xdist; TEST_WORKERS=1 for one process).  The database tests
# run against a throw-away PostgreSQL server .ci/postgres.sh starts (and stops); the Spark
# tests need a Java runtime (.ci/run installs both when missing).
TEST_WORKERS ?= auto
test: $(STAMP)
	.ci/postgres.sh run -- $(BIN)/python -m pytest -q -n $(TEST_WORKERS)

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
