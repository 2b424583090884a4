# The two commands of the README: `make plan` (the dev plan, offline) and `make test`.
# Each creates .venv from the locked requirements on its first run, and again when they change.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
STACK ?= dev

.PHONY: plan test lint lock clean

plan: $(INSTALLED)
	$(BIN)/python -m preflight plan --stack $(STACK)

test: lint
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# --no-deps: everything installed is in the lock files, pinned and hashed.
$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
		-r requirements.txt -r requirements-dev.txt
	touch $@

# Re-resolve the lock files after editing requirements*.in.
lock:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet pip-tools==7.6.2
	.tools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in
	.tools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links -o requirements-dev.txt requirements-dev.in

clean:
	rm -rf $(VENV) .tools .pytest_cache
