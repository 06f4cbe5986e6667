# Developer shortcuts. `make test` / `make check` run exactly what CI runs.
VENV   := .venv
PYTHON := $(VENV)/bin/python

.PHONY: venv run demo test check bench screenshots catalogs snapshots

# Create .venv and install the project with its test extras, when missing.
# (scripts/test.sh also does this, and re-installs when pyproject.toml changes.)
venv:
	@test -x $(VENV)/bin/kiosk || { \
		test -x $(PYTHON) || python3 -m venv $(VENV); \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[test]'; \
	}

run: venv
	$(VENV)/bin/kiosk run

demo: venv
	$(VENV)/bin/kiosk demo

test:
	bash scripts/test.sh

# ruff, mypy, lint-imports and pytest: the same as CI.
check:
	bash scripts/test.sh

bench: venv
	$(PYTHON) -m bench

screenshots: venv
	$(PYTHON) -m scripts.screenshots

catalogs:
	bash scripts/compile_catalogs.sh

snapshots: venv
	$(VENV)/bin/pytest tests/ui --snapshot-update
