# Developer shortcuts. `make test` / `make check` run exactly what CI runs.
VENV   := .venv
PYTHON := $(VENV)/bin/python

.PHONY: venv venv-test run demo test test-fast check bench screenshots catalogs snapshots

# Create .venv with the project and its runtime dependencies only, when missing:
# enough for `make run` and `make demo` (no test toolchain).
venv:
	@test -x $(VENV)/bin/kiosk || { \
		test -x $(PYTHON) || python3 -m venv $(VENV); \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check -e .; \
	}

# The same venv with the test extras too (pytest, playwright, ...), for the targets
# that need them. scripts/test.sh (make test) installs them itself, and re-installs
# when pyproject.toml changes.
venv-test: venv
	@test -x $(VENV)/bin/pytest || \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[test]'

run: venv
	$(VENV)/bin/kiosk run

demo: venv
	$(VENV)/bin/kiosk demo

test:
	bash scripts/test.sh

# The quick part on a laptop: every test that needs no outside program (chromium,
# sshd, tmux, zbarimg, espeak-ng, pdftoppm, systemd-analyze) and no PostgreSQL server.
# `make test` and CI still run everything, and fail when a program is missing.
test-fast: venv-test
	$(VENV)/bin/pytest -m "not e2e and not postgres"

# ruff, mypy, lint-imports and pytest: the same as CI.
check:
	bash scripts/test.sh

bench: venv-test
	$(PYTHON) -m bench

screenshots: venv-test
	$(PYTHON) -m scripts.screenshots

catalogs:
	bash scripts/compile_catalogs.sh

snapshots: venv-test
	$(VENV)/bin/pytest tests/ui --snapshot-update
