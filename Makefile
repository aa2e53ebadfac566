# Build, test and demo polars-kimsfinance. The Rust build is cached outside the checkout so a fresh clone
# rebuilds in minutes, not from scratch.
PYTHON ?= python3
export CARGO_TARGET_DIR ?= $(HOME)/.cache/kf-target
# Build the extension the way maturin does (no libpython link), so cargo and maturin share one cache.
export PYO3_BUILD_EXTENSION_MODULE := 1
# Name the interpreter so pyo3's build script does not depend on PATH (a changed PATH would rebuild everything).
export PYO3_PYTHON ?= $(shell command -v $(PYTHON))
EXT := python/polars_kimsfinance/_internal.abi3.so

.PHONY: build install demo test test-python test-rust bench clean

# Fast developer build: compile the extension and place it next to the Python sources (use with PYTHONPATH=python).
build:
	flock $(CARGO_TARGET_DIR).lock sh -c 'cargo build --release --lib --features python && \
		cp $(CARGO_TARGET_DIR)/release/libpolars_kimsfinance.so $(EXT)'

# Editable install into the current Python environment.
install:
	mkdir -p $(dir $(CARGO_TARGET_DIR))
	$(PYTHON) -m pip install -q -e '.[test]'

demo: install
	kimsfinance render -o chart.png
	@echo "wrote chart.png"

test: install
	$(MAKE) test-python test-rust

test-python:
	$(PYTHON) -m pytest -q

test-rust:
	cargo test --release --lib --no-default-features

bench: build
	PYTHONPATH=python $(PYTHON) bench/indicators.py

clean:
	rm -f $(EXT)
