# The two commands: `make run` and `make test`. Both set themselves up on a fresh machine.
# The first of these that actually runs: a version manager's shim can exist and fail.
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3; do \
	  $$p -c 'import sys; assert (3, 11) <= sys.version_info[:2] < (3, 14)' 2>/dev/null \
	  && command -v $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
# Test-only defaults: DEBUG is off unless set, and production mode refuses the development key
# and an empty ALLOWED_HOSTS. Never used by `make run`, which sets DEBUG=true.
TEST_ENV := SECRET_KEY="$${SECRET_KEY:-test-only-secret-key-0123456789abcdefghijklmnop}" \
	ALLOWED_HOSTS="$${ALLOWED_HOSTS:-testserver,localhost,127.0.0.1}" \
	SECURE_SSL_REDIRECT="$${SECURE_SSL_REDIRECT:-false}"

.PHONY: install run test test-python worker beat lint format migrate

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# axe-core for the browser tests' accessibility checks, pinned by package-lock.json. Without npm
# the rest still works and those checks are skipped (CI, with SCA_REQUIRE_SERVICES=1, fails).
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --no-audit --no-fund && touch $(NODE_STAMP); \
	else echo "npm not found: the browser tests' accessibility checks will be skipped"; fi

install: $(STAMP)

migrate: install
	DEBUG="$${DEBUG:-true}" $(BIN)/python manage.py migrate --noinput

run: migrate
	DEBUG="$${DEBUG:-true}" $(BIN)/python manage.py seed_demo
	@echo "SCA Portal on http://127.0.0.1:8000  (API docs: /api/docs/, admin: /admin/)"
	DEBUG="$${DEBUG:-true}" $(BIN)/python manage.py runserver 127.0.0.1:8000

test: install $(NODE_STAMP)
	$(TEST_ENV) $(BIN)/pytest

# The suite without the browser and schemathesis on another interpreter, in its own venv:
# `make test-python PY=python3.13`. CI runs it when a 3.13 interpreter runs.
PY ?= python3.13
PY_VENV = .venv-$(shell $(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
test-python:
	test -x $(PY_VENV)/bin/python || $(PY) -m venv $(PY_VENV)
	$(PY_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PY_VENV)/bin/python -m pip install --quiet -e '.[dev]'
	$(TEST_ENV) $(PY_VENV)/bin/pytest -m "not e2e" --ignore=tests/sca_portal/test_schemathesis.py

worker: install
	DEBUG="$${DEBUG:-true}" $(BIN)/celery -A sca_portal worker --loglevel=info --concurrency=2

beat: install
	DEBUG="$${DEBUG:-true}" $(BIN)/celery -A sca_portal beat --loglevel=info --schedule=var/celerybeat-schedule

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	# The django-stubs plugin loads the settings, which refuse production mode without a key.
	$(TEST_ENV) $(BIN)/mypy .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
