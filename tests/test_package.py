"""The package's surface: what ``import polars_kimsfinance`` puts in its namespace, and its version."""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from pathlib import Path

import polars_kimsfinance as kf
from polars_kimsfinance import _internal

ROOT = Path(__file__).resolve().parents[1]


def submodules() -> set[str]:
    return {m.name for m in pkgutil.iter_modules(kf.__path__)}


def test_namespace_is_the_public_api_and_the_submodules():
    # Nothing imported for the package's own use (``annotations``, helper aliases, private functions) may show.
    names = {n for n in dir(kf) if not (n.startswith("__") and n.endswith("__"))}
    assert names - set(kf.__all__) <= submodules(), sorted(names - set(kf.__all__) - submodules())


def test_every_name_in_all_exists_and_is_public():
    assert len(kf.__all__) == len(set(kf.__all__))
    for name in kf.__all__:
        assert not name.startswith("_"), name
        assert hasattr(kf, name), name
    # Every catalogue indicator is exported as a function.
    assert {ind.name for ind in kf.CATALOGUE} <= set(kf.__all__)


def test_star_import_gives_exactly_all():
    namespace: dict[str, object] = {}
    exec("from polars_kimsfinance import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(kf.__all__)


def test_config_is_the_context_manager():
    # The settings module is named `settings`, so `kf.config` can only be the context manager.
    module = importlib.import_module("polars_kimsfinance.settings")
    assert kf.config is module.config and callable(kf.config)
    assert "polars_kimsfinance.config" not in sys.modules


def test_version_comes_from_cargo_toml():
    cargo = (ROOT / "Cargo.toml").read_text()
    package = cargo[cargo.index("[package]") :]
    found = re.search(r'^version\s*=\s*"([^"]+)"', package, re.MULTILINE)
    assert found is not None, "no version in Cargo.toml's [package] table"
    assert kf.__version__ == _internal.__version__ == found.group(1)


def test_support_modules_do_not_import_each_other():
    # Settings and statistics each have one owner; neither may depend on the other.
    for module, other in (("settings", "stats"), ("stats", "settings")):
        source = (ROOT / "python" / "polars_kimsfinance" / f"{module}.py").read_text()
        assert not re.search(
            rf"^\s*(from \.{other} import|from \. import .*\b{other}\b|import .*\.{other}\b)", source, re.M
        )
