# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export AIRFLOW_HOME ?= $(CURDIR)/.stack/airflow-home
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False

.PHONY: venv test demo bench stack-up stack-down airflow clean

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: Python 3.11 is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt -r requirements-dev.txt -c constraints.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

# Two workers, a test file each at a time: the whole periods run through Airflow
# (tests/test_dag_run.py) beside the rest. PYTEST_ARGS="-n 0" runs them one after the other.
test: venv
	scripts/with-stack.sh $(BIN)/pytest -n 2 --dist loadfile --durations=15 $(PYTEST_ARGS)

demo: venv
	scripts/with-stack.sh scripts/demo.sh

# Throughput and peak memory of each step at 1 and 10 million students (docs/benchmarks.md).
# Other scales: make bench BENCH_ARGS="--students 45000000".
bench: venv
	scripts/with-stack.sh $(BIN)/python -m kuota.bench $(BENCH_ARGS)

stack-up: venv
	scripts/stack.sh up

stack-down:
	scripts/stack.sh down

# The Airflow UI on http://127.0.0.1:8080 against the running local stack (make stack-up first).
airflow: venv
	stack_env=$$(scripts/stack.sh env) && eval "$$stack_env" && PATH=$(CURDIR)/$(BIN):$$PATH \
	  AIRFLOW__API__HOST=127.0.0.1 AIRFLOW__API__PORT=8080 $(BIN)/airflow standalone

clean:
	rm -rf $(VENV) .stack
