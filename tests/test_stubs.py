"""The type stubs are generated from the catalogue and must match it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_stubs_are_up_to_date():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_stubs.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_stub_signatures_parse_and_match_runtime_signatures():
    import ast
    import inspect

    import polars_kimsfinance as kf

    tree = ast.parse((ROOT / "python" / "polars_kimsfinance" / "functions.pyi").read_text())
    stubbed = {
        node.name: node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name != "__getattr__"
    }
    assert set(stubbed) == set(kf.FUNCTIONS)
    for name, fn in kf.FUNCTIONS.items():
        node = stubbed[name]
        names = [a.arg for a in node.args.args] + [a.arg for a in node.args.kwonlyargs]
        assert names == list(inspect.signature(fn).parameters), name
