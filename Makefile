# The two commands: `make run` and `make test`. Both install what they need.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser pango run test lint typecheck unit bench bench-full reliability clean demo messages

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: install
	$(BIN)/pathways run

lint: install
	$(BIN)/ruff check src flows tests bench
	$(BIN)/ruff format --check src flows tests bench

typecheck: install  # strict, on src/pathways, flows/, tests/ and bench/: pyproject.toml's [tool.mypy]
	$(BIN)/mypy

# The browser tests drive Debian's Chromium (Playwright cannot download a browser here):
# installed when missing if this is Debian and we may (root); otherwise they are skipped,
# except under CI=true, where a missing browser fails them.
# chromium-l10n: its languages, so that a French page's date inputs read 14/12/2026 (tests/e2e/browsing.py).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    { apt-get update -qq && apt-get install -y -qq chromium chromium-l10n >/dev/null; } \
	      || echo "note: installing chromium failed: the browser tests will be skipped (fail under CI)"; \
	  else \
	    echo "note: chromium is missing (apt-get install chromium): the browser tests will be skipped"; \
	  fi; }

# PDF documents (WeasyPrint) need Pango from the system: installed when missing, as the browser.
pango:
	@ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Pango for the PDF documents"; \
	    { apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core >/dev/null; } \
	      || echo "note: installing Pango failed: the PDF tests will be skipped (fail under CI)"; \
	  else \
	    echo "note: Pango is missing (apt-get install libpango-1.0-0 libpangoft2-1.0-0): the PDF tests will be skipped"; \
	  fi; }

test: install browser pango lint typecheck
	$(BIN)/pytest -n 2 --dist loadfile

# The performance suite (bench/run.py): quick mode in minutes; full mode runs the 1M-case
# and 10M-event sizes (59 minutes here, 2 cores). Both rewrite the summary at the top of bench/RESULTS.md.
bench: install
	$(BIN)/python bench/run.py --quick

bench-full: install
	$(BIN)/python bench/run.py

# Faults, load and hostile input in full (about 10-20 minutes on 2 cores); rewrites docs/RELIABILITY.md.
# `make test` runs the quick subset of the same tests.
reliability: install
	@mkdir -p var && rm -f var/reliability-ledger.jsonl
	PATHWAYS_RELIABILITY=full PATHWAYS_RELIABILITY_LEDGER=$(CURDIR)/var/reliability-ledger.jsonl \
	  $(BIN)/pytest -n 2 --dist loadfile tests/reliability tests/fuzz tests/security tests/e2e/test_orchestration.py; status=$$?; \
	  $(BIN)/python tests/reliability/report.py var/reliability-ledger.jsonl --out docs/RELIABILITY.md && exit $$status

# The pages' texts (README, "Translating the pages"): find every _("...") of the templates and
# of web/ and drawing/, add the new ones to locale/{fr,nl}/LC_MESSAGES/messages.po (empty, to
# translate) and drop the ones no longer used. Fuzzy guesses are flagged "#, fuzzy": check them.
messages: install
	@mkdir -p var
	$(BIN)/pybabel extract -q -F babel.cfg -k t -k words --no-location --sort-output -o var/messages.pot src/pathways
	$(BIN)/pybabel update -q -i var/messages.pot -d src/pathways/web/locale -D messages --width 110 --ignore-obsolete

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
