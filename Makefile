# EMCO: `make demo` runs the platform on sample data; `make test` runs every check.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
EMCO := $(BIN)/emco
SCENARIO := var/scenario

.PHONY: install demo test lint typecheck audit-deps i18n migration clean

# A virtual environment with exactly the versions of uv.lock (the project included);
# --locked refuses a lock file that no longer matches pyproject.toml. Everything is
# compiled to bytecode once here: where PYTHONDONTWRITEBYTECODE is set, Python would
# otherwise compile two thousand modules again in every process (7 s per command).
$(VENV)/.installed: uv.lock pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv sync --locked --inexact --quiet --compile-bytecode
	$(BIN)/python -m compileall -q src > /dev/null
	touch $@

install: $(VENV)/.installed

demo: install
	$(EMCO) db upgrade
	$(EMCO) demo generate --seed 7 --scale 1 --out $(SCENARIO)
	$(EMCO) demo load $(SCENARIO)
	$(EMCO) demo evaluate $(SCENARIO)
	$(EMCO) demo accounts
	$(EMCO) serve

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src/emco/store/migrations

typecheck: install
	$(BIN)/mypy src

test: lint typecheck audit-deps
	$(BIN)/pytest

# Known vulnerabilities in the locked dependencies (pip-audit); fails on any.
audit-deps: install
	$(BIN)/python .ci/audit_deps.py

# Refresh the message catalogues after changing user-facing text.
i18n: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ --no-location --omit-header --sort-output \
		-o src/emco/translations/messages.pot .
	$(BIN)/pybabel update -i src/emco/translations/messages.pot -d src/emco/translations \
		--no-wrap --ignore-obsolete

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# A new migration from the difference between store/tables.py and the migrated schema.
migration: install
	@test -n "$(m)" || (echo 'usage: make migration m="what changed"' && exit 2)
	rm -f var/migration.sqlite3
	EMCO_DATABASE_URL=sqlite:///var/migration.sqlite3 $(BIN)/python -c \
		'from alembic import command; from emco.store.db import Database; \
		from emco.store.migrate import alembic_config, upgrade; \
		db = Database("sqlite:///var/migration.sqlite3"); upgrade(db); \
		n = len(list(__import__("pathlib").Path("src/emco/store/migrations/versions").glob("0*.py"))); \
		command.revision(alembic_config(db), message="$(m)", autogenerate=True, \
		rev_id=f"{n + 1:04d}")'
	$(BIN)/ruff format src/emco/store/migrations/versions
