# Two commands do everything: `make run` and `make test`.
# Each creates .venv on first use and installs what it needs (torch's CPU wheel first,
# pinned, so pip never pulls a multi-gigabyte CUDA build).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_VERSION := 2.13.0
# `make test` runs pytest on this many processes (pytest-xdist), a test file per process: much
# of the suite waits (on Slack retries, child processes, the clock), not on the CPU, so three
# beat two on two cores (tests/daily_quote + tests/gaps: 141 s in one, 112 s in 2, 88 s in 3).
# PYTEST_WORKERS=0: one process, as `.venv/bin/python -m pytest` alone runs.
PYTEST_WORKERS ?= 3
# PyPI's Linux torch wheel depends on CUDA (gigabytes); PyTorch's CPU index has the +cpu
# build. macOS wheels on PyPI are CPU-only already. TORCH_INDEX= (empty) uses pip's own.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
# The wheel is first looked for where pip already looks (its own index, PIP_FIND_LINKS): a
# machine with the wheel on disk and no route to PyTorch's index then installs without five
# retries per package against that index (two minutes of a CI run); only when that finds no
# such wheel is PyTorch's index added.
ifeq ($(shell uname -s),Linux)
TORCH := "torch==$(TORCH_VERSION)+cpu"
TORCH_FROM_INDEX := $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX))
else
TORCH := "torch==$(TORCH_VERSION)"
TORCH_FROM_INDEX :=
endif

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test lint bench index clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install $(TORCH) || $(BIN)/pip install $(TORCH) $(TORCH_FROM_INDEX)
	$(BIN)/pip install -e ".[dev,postgres]"
	touch $(STAMP)

run: $(STAMP)
	@$(BIN)/coach run

test: $(STAMP)
	$(BIN)/ruff check bot index tests bench
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

index: $(STAMP)
	$(BIN)/coach index build

bench: $(STAMP)
	$(BIN)/python bench/ask_vs_bare.py

clean:
	rm -rf $(VENV) data
