# The two commands of the README: `make plan` (the dev plan, offline) and `make test`.
# Each creates .venv from the locked requirements on its first run, and again when they change.
# `make check` runs the policy gate on every stack, as pull requests do.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
STACK ?= dev
STACKS := $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml))

.PHONY: install plan check test lint bench lock clean

install: $(INSTALLED)

plan: $(INSTALLED)
	$(BIN)/python -m preflight plan --stack $(STACK)

# Every stack is checked, even after one fails, so one run shows all that is wrong.
check: $(INSTALLED)
	@status=0; for stack in $(STACKS); do \
		$(BIN)/python -m preflight check --stack $$stack || status=1; \
	done; exit $$status

# `make bench BENCH_ARGS=--baseline`: 639301d and the working tree side by side (bench/side_by_side.py).
bench: $(INSTALLED)
	$(BIN)/python bench/check_bench.py $(BENCH_ARGS)

test: lint
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/actionlint

# --no-deps: everything installed is in the lock files, pinned and hashed.
$(INSTALLED): requirements.txt requirements-dev.txt
	@echo "Installing the locked requirements (requirements.txt, requirements-dev.txt) into $(VENV):" \
		"a few minutes, once (again only when the lock files change)."
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
