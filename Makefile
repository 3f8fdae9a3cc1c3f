.PHONY: setup test lint unit demo bench clean
VENV := .venv
BIN := $(VENV)/bin

setup:
	@scripts/setup.sh

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

unit: setup
	$(BIN)/pytest -q tests/unit

demo: setup
	@scripts/demo.sh

bench: setup
	$(BIN)/python bench/publish.py
	$(BIN)/python bench/bundle.py
	$(BIN)/python bench/deploy.py
	$(BIN)/python bench/console.py

clean:
	rm -rf $(VENV) demo-work
