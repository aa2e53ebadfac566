# Build, test and demo polars-kimsfinance. The Rust build is cached outside the checkout so a fresh clone
# rebuilds in minutes, not from scratch.
PYTHON ?= python3
export CARGO_TARGET_DIR ?= $(HOME)/.cache/kf-target
# Build the extension the way maturin does (no libpython link), so cargo and maturin share one cache.
export PYO3_BUILD_EXTENSION_MODULE := 1
# Name the interpreter so pyo3's build script does not depend on PATH (a changed PATH would rebuild everything).
export PYO3_PYTHON ?= $(shell command -v $(PYTHON))
EXT := python/polars_kimsfinance/_internal.abi3.so

.PHONY: build install demo lint test test-python test-rust test-oldest-polars bench clean

# Fast developer build: compile the extension and place it next to the Python sources (use with PYTHONPATH=python).
# Checkouts sharing the cache (worktrees, CI clones) force a recompile of this crate when another one built last.
# It includes the test-only hooks (feature test-hooks) the suite uses; a wheel built by maturin has none.
build:
	mkdir -p $(dir $(CARGO_TARGET_DIR))
	flock $(CARGO_TARGET_DIR).lock sh -c '\
		if [ "$$(cat $(CARGO_TARGET_DIR)/.last-checkout 2>/dev/null)" != "$(CURDIR)" ]; then touch src/lib.rs; fi && \
		cargo build --release --lib --features python,gpu,test-hooks && \
		echo "$(CURDIR)" > $(CARGO_TARGET_DIR)/.last-checkout && \
		cp $(CARGO_TARGET_DIR)/release/libpolars_kimsfinance.so $(EXT)'

# Development install into the current Python: build the extension in place and put python/ on the path
# (a .pth file), so `import polars_kimsfinance` works from anywhere. `pip install .` builds a wheel instead.
install: build
	$(PYTHON) -m pip install -q -r requirements.txt
	$(PYTHON) -c "import os, site; d = site.getsitepackages()[0]; \
		open(os.path.join(d, 'polars_kimsfinance_dev.pth'), 'w').write(os.path.abspath('python') + '\n')"

demo: install
	$(PYTHON) -m polars_kimsfinance demo -o chart.png

# Formatting, lints and types. Clippy runs on both feature sets: the extension (python, gpu) and the pure core.
lint:
	$(PYTHON) -m pip install -q -r requirements.txt ruff==0.17.6 mypy==2.4.1
	cargo fmt --check
	cargo clippy --release --lib --features python,gpu -- -D warnings
	cargo clippy --release --lib --tests --no-default-features --features gpu -- -D warnings
	$(PYTHON) -m ruff check python tests bench tools
	$(PYTHON) -m ruff format --check python tests bench tools
	$(PYTHON) -m mypy python/polars_kimsfinance

test: install
	$(PYTHON) -m pip install -q -r requirements-test.txt
	$(MAKE) test-python test-rust test-oldest-polars

test-python:
	$(PYTHON) -m pytest -q

# The oldest supported Polars (pyproject: polars>=1.20), in its own virtual environment, on the tests that do not
# need the notebook and mplfinance extras.
OLDEST_POLARS_VENV ?= $(HOME)/.cache/kf-venv-polars-1.20
test-oldest-polars:
	test -x $(OLDEST_POLARS_VENV)/bin/python || $(PYTHON) -m venv $(OLDEST_POLARS_VENV)
	$(OLDEST_POLARS_VENV)/bin/python -m pip install -q "polars==1.20.0" pytest hypothesis numpy ta-lib
	PYTHONPATH=python $(OLDEST_POLARS_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/test_catalogue_contract.py \
		tests/test_talib.py tests/test_properties.py tests/test_transforms.py tests/test_render_api.py tests/test_adapter.py

test-rust:
	cargo test --release --lib --no-default-features --features gpu

bench: install
	$(PYTHON) bench/indicators.py

clean:
	rm -f $(EXT)
