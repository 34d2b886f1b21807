# Two commands do everything: `make run` and `make test`.
# Each creates .venv on first use and installs what it needs (torch's CPU wheel first,
# pinned, so pip never pulls a multi-gigabyte CUDA build).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_VERSION := 2.13.0
# PyPI's Linux torch wheel depends on CUDA (gigabytes); PyTorch's CPU index has the +cpu
# build. macOS wheels on PyPI are CPU-only already. TORCH_INDEX= (empty) uses pip's own.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
ifeq ($(shell uname -s),Linux)
TORCH := "torch==$(TORCH_VERSION)+cpu" $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX))
else
TORCH := "torch==$(TORCH_VERSION)"
endif

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test lint bench index clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install $(TORCH)
	$(BIN)/pip install -e ".[dev,postgres]"
	touch $(STAMP)

run: $(STAMP)
	@$(BIN)/coach run

test: $(STAMP)
	$(BIN)/ruff check bot index tests bench
	$(BIN)/python -m pytest

index: $(STAMP)
	$(BIN)/coach index build

bench: $(STAMP)
	$(BIN)/python bench/ask_vs_bare.py

clean:
	rm -rf $(VENV) data
