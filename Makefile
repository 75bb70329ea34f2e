# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Airflow's home lives in the stack's directory (KUOTA_STACK_DIR, as scripts/stack.sh).
export AIRFLOW_HOME ?= $(abspath $(or $(KUOTA_STACK_DIR),$(CURDIR)/.stack))/airflow-home
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False

.PHONY: venv debian-packages lint format test test-fast test-slow demo demo-celery redis-server bench stack-up stack-down airflow airflow-stop airflow-status clean

venv: $(VENV)/.installed debian-packages
$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt pyproject.toml tools/pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: Python 3.11 is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt -r requirements-dev.txt -c constraints.txt
	$(BIN)/pip install -q --no-deps -e . -e tools
	touch $@

# ruff (pyproject.toml): lint and format checked; make format rewrites the files.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The full suite. Two workers, a test file each at a time (a file's periods are built once
# per worker, tests/conftest.py): the whole periods run through Airflow (tests/test_dag_run*.py)
# beside the rest. PYTEST_ARGS="-n 0" runs them one after the other. Files are handed out in
# their collection order (--no-loadscope-reorder): xdist's default, most tests first, left the
# two long Airflow files (two tests each) to the end, often on one worker (547-1168 s).
test: venv
	scripts/with-stack.sh $(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=25 $(PYTEST_ARGS)

# What a developer runs on every change (under 2 minutes): the tests not marked heavy.
test-fast: venv
	scripts/with-stack.sh $(BIN)/pytest -n 2 --dist loadfile --durations=10 -m "not heavy" $(PYTEST_ARGS)

demo: venv
	scripts/with-stack.sh scripts/demo.sh

# The demo period on CeleryExecutor (Redis, two workers), compared byte for byte with the same
# period in one process (scripts/demo-celery.sh). Installs Debian's redis-server if missing (as root).
demo-celery: venv redis-server
	scripts/with-stack.sh scripts/demo-celery.sh

# What the pipeline needs from Debian beside the venv: the SPTJM's and BAST's font
# (fonts-dejavu-core, or KUOTA_PDF_FONT_DIR; include/kuota/infra/pdf.py) and poppler-utils
# (pdftotext, pdfinfo and pdftoppm: the tests read the PDFs as a user's tools do). Installed
# with apt-get when missing, as root; otherwise it says what to install.
FONT_DIR := $(or $(KUOTA_PDF_FONT_DIR),/usr/share/fonts/truetype/dejavu)
debian-packages:
	@missing=$$( [ -f "$(FONT_DIR)/DejaVuSans.ttf" ] && [ -f "$(FONT_DIR)/DejaVuSans-Bold.ttf" ] || echo fonts-dejavu-core; \
	  command -v pdftotext >/dev/null || echo poppler-utils); \
	[ -z "$$missing" ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null \
	       || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; }; }; } \
	  || { echo "missing: $$missing (Debian: apt-get install $$missing; the font may also come from KUOTA_PDF_FONT_DIR)"; exit 1; }

# Debian's redis-server, the CeleryExecutor's broker (make demo-celery, make test-slow).
redis-server:
	@command -v redis-server >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { apt-get install -y -q redis-server >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q redis-server >/dev/null; }; }; } \
	  || { echo "redis-server not found: install Debian's redis-server (apt-get install redis-server)"; exit 1; }

# Throughput and peak memory of each step at 1 and 10 million students (docs/benchmarks.md).
# Other scales: make bench BENCH_ARGS="--students 45000000".
bench: venv
	scripts/with-stack.sh $(BIN)/python -m kuota_tools.bench $(BENCH_ARGS)

stack-up: venv
	scripts/stack.sh up

stack-down:
	scripts/stack.sh down

# Airflow in the background on the local stack (started if needed): api-server (UI and REST
# API on http://127.0.0.1:$(KUOTA_AIRFLOW_PORT), default 8080), scheduler, dag-processor,
# triggerer; pid files and logs in $(AIRFLOW_HOME)/run. make airflow-stop ends every process.
airflow: venv
	scripts/stack.sh up
	stack_env=$$(scripts/stack.sh env) && eval "$$stack_env" && scripts/airflow.sh start

airflow-stop:
	scripts/airflow.sh stop

airflow-status:
	scripts/airflow.sh status

# The slow tier (not in make test): a real scheduler with the simulators, a clear through the
# REST API, a backfill, the UI in Debian's chromium, two Celery workers on Redis (chromium
# and redis-server installed here if missing, as root).
test-slow: venv
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; }; } \
	  || { echo "chromium not found: install Debian's chromium (apt-get install chromium)"; exit 1; }
	@$(MAKE) --no-print-directory redis-server
	KUOTA_SLOW_TESTS=1 scripts/with-stack.sh $(BIN)/pytest -n 0 --durations=0 tests/slow $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .stack
