# Two commands matter: `make run` and `make test`. Everything they need is set up here, from
# nothing but python3: the virtualenv, the project and its dependencies, the database.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
export HOST ?= 127.0.0.1
export PORT ?= 5000

.PHONY: run serve-cluster test test-sqlite lint format bench bench-scale bench-signin bench-flood bench-beacon vendor migrate lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files: reinstall only when the project's metadata or its lock files change. The
# dependencies come from the lock files (requirements/*.txt: exact versions with their hashes,
# compiled from setup.cfg's ranges by `make lock`), then the project itself without them.
PIP := $(BIN)/pip --disable-pip-version-check
INSTALL_LOCKED = $(PIP) install --quiet --require-hashes -r $(1) && $(PIP) install --quiet --no-deps -e .

$(VENV)/.installed: setup.cfg pyproject.toml requirements/base.txt | $(BIN)/python
	$(call INSTALL_LOCKED,requirements/base.txt)
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml requirements/test.txt | $(BIN)/python
	$(call INSTALL_LOCKED,requirements/test.txt)
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: setup.cfg pyproject.toml requirements/bench.txt | $(BIN)/python
	$(call INSTALL_LOCKED,requirements/bench.txt)
	touch $@ $(VENV)/.installed

# The demo jurisdiction meets in Pacific time: its pages show times there (override as you like).
# The background worker (`flask worker`: queued email, daily reminders, the purge) runs beside
# the app; Ctrl+C stops the app, and the trap stops the worker with it (a background command of
# a non-interactive shell ignores Ctrl+C itself).
run: export TEAMWORK_DEFAULT_TIMEZONE ?= America/Los_Angeles
run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) demo
	@$(FLASK) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python wsgi.py

# Several workers (WORKERS, on ports PORT, PORT+1, ...) sharing PostgreSQL and Redis, for local
# trials of the scale-out setup (docs/deploy.md). TEAMWORK_DATABASE_URL and
# TEAMWORK_MESSAGE_QUEUE default to the local servers; Ctrl+C stops every worker.
WORKERS ?= 2
$(VENV)/.installed-postgres: setup.cfg pyproject.toml requirements/postgres.txt | $(BIN)/python
	$(call INSTALL_LOCKED,requirements/postgres.txt)
	touch $@ $(VENV)/.installed

serve-cluster: $(VENV)/.installed-postgres
	WORKERS=$(WORKERS) $(BIN)/python scripts/serve_cluster.py

# The whole suite on SQLite (browser tests included), then again on PostgreSQL when it is
# reachable (CI has it), without the browser tests (they ran once already and what they drive is
# the same server) and without the tests no database changes (the pure rules, the Markdown
# sanitizer, the settings, the two authorization matrices, the XSS crawl: tests/conftest.py,
# DATABASE_FREE). Both passes run one process per core (pytest-xdist); the wall time is printed.
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# --dist loadfile: a file's tests stay on one worker, so a module's server (the browser tests)
# starts once and the fixtures a file builds once per process (tests/snapshots.py) are reused.
PARALLEL ?= -n auto --dist loadfile
# The PostgreSQL pass has no browser tests, and its longest files (tests/scale: Redis stopped for
# 15 s, workers killed and restarted) mostly wait on their servers: a third process fills those
# waits (measured: 340 s instead of 366 s on this 2-core machine). The SQLite pass is bound by
# Chromium's CPU, where a third process gained nothing (388 s against 384 s). Running tests/scale
# beside the SQLite pass instead cost more than it saved (the SQLite pass took 709 s instead of
# 486 s: the trials' clients and servers need the cores too).
PG_PARALLEL ?= -n 3 --dist loadfile
test: $(VENV)/.installed-test
	@start=$$(date +%s); status=0; \
	$(BIN)/pytest $(PARALLEL) $(PYTEST_ARGS) || status=$$?; \
	if $(BIN)/python -c "import psycopg, sys; psycopg.connect(sys.argv[1].replace('+psycopg', ''), connect_timeout=3).close()" "$(TEST_POSTGRES_URL)" 2>/dev/null; then \
		echo "== The same suite on PostgreSQL ($(TEST_POSTGRES_URL)), browser tests excepted =="; \
		TEAMWORK_TEST_DATABASE_URL="$(TEST_POSTGRES_URL)" $(BIN)/pytest $(PG_PARALLEL) -m "not browser" $(PYTEST_ARGS) || status=$$?; \
	else \
		echo "== PostgreSQL run skipped: nothing answers at $(TEST_POSTGRES_URL) =="; \
	fi; \
	echo "== make test: $$(( $$(date +%s) - start )) s wall time, exit $$status =="; \
	exit $$status

test-sqlite: $(VENV)/.installed-test
	$(BIN)/pytest $(PARALLEL) $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# Medium and high findings fail; each waiver in the code says why (`# nosec Bxxx - ...`).
	$(BIN)/bandit --quiet --recursive --severity-level medium teamwork

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(VENV)/.installed
	$(FLASK) db upgrade

# Live-path benchmark against a bare python-socketio reference (docs/performance.md).
BENCH_MEMBERS ?= 200
bench: $(VENV)/.installed-bench
	BENCH_MEMBERS=$(BENCH_MEMBERS) $(BIN)/python -m bench

# Votes' p99 with 30 sign-ins in flight against the same without, one gevent worker, production
# argon2 settings (bench/signin.py; docs/performance.md). Its last line is a JSON object.
bench-signin: $(VENV)/.installed-bench
	$(BIN)/python -m bench.signin

# Others' votes' p99 while one member's socket floods cast_vote, one gevent worker
# (bench/flood.py; docs/performance.md). Its last line is a JSON object.
bench-flood: $(VENV)/.installed-bench
	$(BIN)/python -m bench.flood

# What the version beacon costs one worker holding 1,000 idle connections in 50 rooms: its CPU
# with the beacon every 5 s against practically off (bench/beacon.py; docs/performance.md).
bench-beacon: $(VENV)/.installed-bench
	$(BIN)/python -m bench.beacon

# 1,000 members in 50 meetings voting at once on 2 workers sharing PostgreSQL and Redis
# (bench/scale.py; the local servers by default). Its last line is a JSON object.
BENCH_SCALE_MEMBERS ?= 1000
BENCH_SCALE_MEETINGS ?= 50
BENCH_SCALE_WORKERS ?= 2
bench-scale: $(VENV)/.installed-bench $(VENV)/.installed-postgres
	BENCH_MEMBERS=$(BENCH_SCALE_MEMBERS) BENCH_MEETINGS=$(BENCH_SCALE_MEETINGS) \
		BENCH_WORKERS=$(BENCH_SCALE_WORKERS) $(BIN)/python -m bench.scale

# Refreshes static/vendor/ from the npm registry (needs npm; `make run` does not).
vendor:
	scripts/vendor.sh

# Recompiles the lock files from setup.cfg (pip-tools, installed into the venv first): after a
# change to install_requires or an extra, run `make lock` and commit requirements/. Versions
# already locked are kept when they still fit; `make lock LOCK_ARGS=--upgrade` moves every
# package to its newest release within the ranges. The extras are compiled against base.txt, so
# a package has the same version in every file.
LOCK_ARGS ?=
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: | $(BIN)/python
	$(PIP) install --quiet 'pip-tools>=7.4'
	$(PIP_COMPILE) --output-file requirements/base.txt setup.cfg
	for extra in test postgres bench; do \
		$(PIP_COMPILE) --extra $$extra --constraint requirements/base.txt \
			--output-file requirements/$$extra.txt setup.cfg || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
