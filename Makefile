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
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-deps demo run test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Chromium and a CJK font for browser tests and chart images; installed only when missing.
system-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk; \
	fi

# The demo warehouse, built only when there is none. Some demo files are meant to be rejected (exit 1).
demo: install
	@if [ ! -e $(WAREHOUSE)/current ]; then \
		$(BIN)/xiaobao demo $(DEMO_DIR) && \
		{ $(BIN)/xiaobao ingest $(DEMO_DIR)/submissions --warehouse $(WAREHOUSE) --registry $(DEMO_DIR)/firms.csv \
			--report $(DEMO_DIR)/report.json; rc=$$?; [ $$rc -le 1 ]; } ; \
	fi

run: demo
	XIAOBAO_REGISTRY=$${XIAOBAO_REGISTRY:-$(DEMO_DIR)/firms.csv} $(BIN)/xiaobao serve --host $(HOST) --port $(PORT) --warehouse $(WAREHOUSE)

test: install system-deps
	$(BIN)/pytest

bench: install system-deps
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/queries.py
	$(BIN)/python bench/pages.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) $(WAREHOUSE) $(DEMO_DIR) artifacts
