# Mailnet. Two set-up commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_ENV := DJANGO_SETTINGS_MODULE=backoffice.settings.dev

.PHONY: install demo demo-setup test bench lint format messages clean

$(BIN)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	mkdir -p var
	touch $@

install: $(BIN)/.installed

demo-setup: install
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput -v0
	$(DEMO_ENV) $(BIN)/python manage.py createcachetable
	$(DEMO_ENV) $(BIN)/python manage.py demo_setup

demo: demo-setup
	@echo "Mailnet runs on http://127.0.0.1:$(PORT)/admin/ (Ctrl-C stops the site and the task cluster)."
	@trap 'kill 0' INT TERM EXIT; \
	$(DEMO_ENV) $(BIN)/python manage.py qcluster & \
	$(DEMO_ENV) $(BIN)/python manage.py runserver --noreload 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest

# The benchmarks measure PostgreSQL: the local server unless DATABASE_URL says otherwise.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/mailnet_bench
bench: install
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(BIN)/python -m pytest tests/benchmarks -p no:randomly -s -q -o "norecursedirs=.venv var" --no-header

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Our source strings are written in French; the catalogue carries them (msgen) so that a
# translator can change a wording without touching code. Needs gettext (msgfmt, msgen).
messages: install
	$(BIN)/python manage.py makemessages -l fr --ignore=.venv --ignore=var --ignore=tests --ignore=docs
	msgen --no-wrap locale/fr/LC_MESSAGES/django.po -o locale/fr/LC_MESSAGES/django.po
	$(BIN)/python manage.py compilemessages -l fr --ignore=.venv

clean:
	rm -rf $(VENV) var
