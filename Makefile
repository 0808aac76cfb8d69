# Two commands on a fresh machine with only Python 3.11 and Debian: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WAREHOUSE ?= data/parquet
DEMO_DIR ?= data/demo
HOST ?= 127.0.0.1
PORT ?= 8501
# The users file (XIAOBAO_USERS overrides) and the demo users `make run` creates when there is none. The demo
# password is public (README): replace these users before anyone else can reach the server.
USERS ?= $(or $(XIAOBAO_USERS),data/users.json)
DEMO_PASSWORD ?= xiaobao-demo-2026
DEMO_FIRM ?= F001
DEMO_NEXT ?= 2025Q4
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Every package `make install` puts in $(VENV), with its version and hashes; written by `make lock` only.
LOCK := requirements.lock
# The locker and installer. Changing this pin reinstalls it at the next `make install` or `make lock`.
UV_VERSION := 0.13.8
UV := $(BIN)/uv
# uv trusts the system's certificates (as pip does here) and never downloads a Python of its own.
export UV_SYSTEM_CERTS := 1
export UV_PYTHON_DOWNLOADS := never
# `make lock LOCK_ARGS=--upgrade` moves every pin to the newest release the pyproject.toml pins allow;
# `LOCK_ARGS="--upgrade-package NAME"` just one. Without it, pins already in the lock are kept where they still fit.
LOCK_ARGS ?=

.PHONY: install lock system-deps demo demo-users run test bench lint clean

# $(VENV) with uv in it: pip is used once, for uv itself.
define uv_bootstrap
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	@$(UV) --version 2>/dev/null | grep -qE '^uv $(subst .,\.,$(UV_VERSION))( |$$)' \
		|| $(BIN)/pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'
endef

# Exactly the lock (hashes checked, wheels only, anything not in it removed), then this project, editable and
# without build isolation: its build backend (setuptools) is in the lock too. Redone when the lock or
# pyproject.toml changes.
$(STAMP): pyproject.toml $(LOCK)
	$(uv_bootstrap)
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes --no-build $(LOCK)
	$(UV) pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Bytecode for every installed module and this project's own: uv installs none, and with PYTHONDONTWRITEBYTECODE
# set (as here) Python compiled streamlit, pandas, plotly … from source at every start: 1.7 s of the 3.3 s from
# `xiaobao serve` started to the login page drawn (bench/pages.py --cold-start-only). Source files edited later
# are compiled again as usual.
BYTECODE := $(VENV)/.bytecode
PACKAGES := xiaobao core etl query auth dashboard deck fixtures
$(BYTECODE): $(STAMP)
	$(BIN)/python -m compileall -q -j 0 $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
		$(PACKAGES) >/dev/null
	touch $(BYTECODE)

install: $(STAMP) $(BYTECODE)

# Re-resolves pyproject.toml ([project] dependencies, the dev extra, the build backend) for Python 3.11 on every
# platform, with hashes. Commit the result; `make install` then installs it.
lock:
	$(uv_bootstrap)
	$(PYTHON) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' \
		| $(UV) pip compile --quiet pyproject.toml - --extra dev --universal --python-version 3.11 \
			--generate-hashes --custom-compile-command "make lock" $(LOCK_ARGS) -o $(LOCK)

# Chromium and a CJK font for browser tests and chart images, LibreOffice Impress for the deck's PDF and poppler's
# pdftoppm for its checks; installed only when missing.
system-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk; \
	fi
	@if ! command -v soffice >/dev/null || ! command -v pdftoppm >/dev/null; then \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-impress poppler-utils; \
	fi

# The demo warehouse, built only when there is none. Some demo files are meant to be rejected (exit 1).
# For the upload portal: the next quarter open for collection (deadline in 30 days) and that quarter's demo files in
# $(DEMO_DIR)/portal/submissions, for demo-member to upload its own.
demo: install
	@if [ ! -e $(WAREHOUSE)/current ]; then \
		$(BIN)/xiaobao demo $(DEMO_DIR) && \
		{ $(BIN)/xiaobao ingest $(DEMO_DIR)/submissions --warehouse $(WAREHOUSE) --registry $(DEMO_DIR)/firms.csv \
			--report $(DEMO_DIR)/report.json; rc=$$?; [ $$rc -le 1 ]; } && \
		$(BIN)/xiaobao demo $(DEMO_DIR)/portal --from $(DEMO_NEXT) --to $(DEMO_NEXT) >/dev/null && \
		$(BIN)/xiaobao period open $(DEMO_NEXT) --deadline $$(date -d '+30 days' +%F) --warehouse $(WAREHOUSE) ; \
	fi

# One demo user per role (demo-secretariat, demo-analyst, demo-member bound to the demo firm $(DEMO_FIRM)), only
# when there is no users file yet: an existing one is never touched.
demo-users: demo
	@if [ ! -e "$(USERS)" ]; then \
		for spec in secretariat:演示秘书处 analyst:演示分析人员 member:演示会员公司; do \
			role=$${spec%%:*}; \
			printf '%s\n' '$(DEMO_PASSWORD)' | $(BIN)/xiaobao user add demo-$$role --role $$role \
				$$( [ $$role = member ] && echo --firm $(DEMO_FIRM) ) --name "$${spec#*:}" --users "$(USERS)" \
				--registry $${XIAOBAO_REGISTRY:-$(DEMO_DIR)/firms.csv} --warehouse $(WAREHOUSE) || exit 1; \
		done; \
		echo "演示用户 demo-secretariat / demo-analyst / demo-member，密码 $(DEMO_PASSWORD)：正式使用前请删除并换成真实用户。"; \
	fi

run: demo-users
	XIAOBAO_REGISTRY=$${XIAOBAO_REGISTRY:-$(DEMO_DIR)/firms.csv} $(BIN)/xiaobao serve --host $(HOST) --port $(PORT) \
		--warehouse $(WAREHOUSE) --users "$(USERS)"

# mypy first (its settings, file list and cache are in pyproject.toml): a type error fails the run before the tests.
# Lint (ruff, 120 columns), types (mypy over core, etl, query, fixtures), then every test; any failure fails.
test: install system-deps
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

bench: install system-deps
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/portal.py
	$(BIN)/python bench/queries.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/growth.py   # 1×, 4×, 10× the data: query p95, page p95, app peak RSS
	$(BIN)/python -P bench/deck.py   # -P: bench/ first on sys.path would shadow the deck package

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) $(WAREHOUSE) $(DEMO_DIR) artifacts .mypy_cache
