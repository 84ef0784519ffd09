# Two commands do all the set-up on a fresh machine:
#   make run   - simulators + reference CMS + the full conformance campaign; reports in reports-out/
#   make test  - the project's own tests, lint (ruff), types (mypy strict) and the Gherkin scenarios
# Both create .venv on first use and reuse it afterwards.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
REPORT_DIR ?= reports-out

.PHONY: bytecode run test lint typecheck unit features venv clean bench mutation

venv: $(STAMP)

$(STAMP): pyproject.toml
	@echo "Setting up $(VENV) (first run only)..."
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip >$(VENV)/pip.log 2>&1 || (cat $(VENV)/pip.log; exit 1)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,load]' >>$(VENV)/pip.log 2>&1 || (cat $(VENV)/pip.log; exit 1)
	@touch $(STAMP)

# The environment may set PYTHONDONTWRITEBYTECODE, so no run would keep the project's compiled modules and
# each of a run's three processes would compile them all again (about a second of CPU in all); compileall
# writes them regardless and, when they are up to date, only compares timestamps (a few hundredths of a second).
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q -j0 conformance simulators load reports >/dev/null

run: $(STAMP) bytecode
	$(BIN)/spoc-harness run --sut reference --report-dir $(REPORT_DIR)

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) bytecode
	$(BIN)/python -m pytest -q -p no:cacheprovider

features: $(STAMP) bytecode
	$(BIN)/behave --format progress2 --no-skipped --junit --junit-directory $(REPORT_DIR)/features-junit features

test: lint typecheck unit features

bench: $(STAMP)
	$(BIN)/python benchmarks/channel_throughput.py
	$(BIN)/python benchmarks/campaign_speed.py
	$(BIN)/python benchmarks/run_speed.py --runs 3

# Sampled mutation score of the campaign over the reference CMS's decision code (~30 min; not in CI).
MUTATION_SAMPLE ?= 50
MUTATION_SEED ?= 2027
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[mutation]'
	@mkdir -p $(REPORT_DIR)
	$(BIN)/python benchmarks/mutation_sample.py --sample $(MUTATION_SAMPLE) --seed $(MUTATION_SEED) --json $(REPORT_DIR)/mutation.json

clean:
	rm -rf $(VENV) $(REPORT_DIR) .mypy_cache .ruff_cache .pytest_cache
