# yingji — `make run` serves the platform with demo data; `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
VENDOR := src/yingji/web/static/vendor/.stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint unit fuzz bench clean install vendor

install: $(STAMP) $(VENDOR)

$(STAMP): pyproject.toml requirements.lock setup.py src/yingji/warnings/cap/_native.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c requirements.lock -e '.[dev]'
	touch $(STAMP)

$(VENDOR): package.json scripts/vendor.sh
	scripts/vendor.sh

vendor: $(VENDOR)

run: install
	$(BIN)/yingji demo
	$(BIN)/yingji serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/mypy

# Every test on SQLite, then every test again on a throwaway PostgreSQL.
test: install lint
	scripts/test.sh

fuzz: install
	scripts/fuzz.sh

bench: install
	$(BIN)/python bench/bench_api.py

clean:
	rm -rf $(VENV) src/yingji/web/static/vendor node_modules test-artifacts
