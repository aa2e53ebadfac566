"""Indicators and charts over a Ray Dataset, one group (symbol) per task: ``kf.ray.with_indicators`` and
``kf.ray.render_by``.

Ray is an optional dependency (``pip install polars-kimsfinance[ray]``); this module imports it only when one of
its functions is called, so ``import polars_kimsfinance`` never loads Ray.

Each group arrives on a worker as a ``pyarrow.Table`` (``groupby(by).map_groups(..., batch_format="pyarrow")``),
becomes a Polars frame without copying its numeric buffers, is put in time order and gets the same plugin
expressions (or the same ``render`` call) as on one machine, so the results are bit for bit the single-machine
ones. The workers need this package installed at the same path as the driver (one environment or container
image for the whole cluster), as for any Polars plugin: a serialised plugin expression names its library file.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from . import chart
from .columns import time_column
from .filenames import make_out_dir, out_dir_path, safe_file_stem, write_file_atomically
from .settings import check_engine

if TYPE_CHECKING:
    import pyarrow
    import ray.data

# The file suffix of each output format.
_SUFFIX = {"png": ".png", "svg": ".svg", "webp": ".webp", "rgba": ".rgba"}
_RENDER_PARAMS = inspect.signature(chart.render).parameters


def _import_ray(func: str) -> Any:
    try:
        import ray.data
    except ImportError as e:
        raise ImportError(f"{func}: needs Ray Data; install it with pip install 'polars-kimsfinance[ray]' ({e})") from e
    return ray.data


def _check_dataset(func: str, ds: Any) -> list[str]:
    """The dataset's column names, after checking it is a Ray Dataset."""
    data = _import_ray(func)
    if not isinstance(ds, data.Dataset):
        raise TypeError(f"{func}: ds must be a ray.data.Dataset, got {type(ds).__name__}")
    schema = ds.schema()
    if schema is None:
        raise ValueError(f"{func}: the dataset is empty (it has no schema)")
    return list(schema.names)


def _check_columns(func: str, columns: list[str], by: str | Sequence[str], order_by: str | None) -> list[str]:
    keys = [by] if isinstance(by, str) else list(by) if isinstance(by, Sequence) else None
    if not keys or not all(isinstance(k, str) for k in keys):
        raise TypeError(f"{func}: by must be a column name or a list of them, got {by!r}")
    for name, value in [*(("by", k) for k in keys), ("order_by", order_by)]:
        if value is not None and value not in columns:
            raise ValueError(f"{func}: {name} column {value!r} not found; columns: {columns}")
    return keys


def _group_frame(table: pyarrow.Table, order_by: str | None) -> pl.DataFrame:
    """One group as a Polars frame in time order. ``pl.from_arrow`` with ``rechunk=False`` keeps Arrow's buffers
    (numbers are not copied; Polars stores strings as views, so string columns are converted)."""
    df = pl.from_arrow(table, rechunk=False)
    assert isinstance(df, pl.DataFrame)
    if order_by is None:
        order_by = time_column("kf.ray", df, None)
    # A shuffle does not keep the rows of a group in their original order; the time column restores it.
    return df.sort(order_by, maintain_order=True) if order_by is not None else df


# ---------------------------------------------------------------------------------------------------------------
# with_indicators


def _indicator_group(table: pyarrow.Table, exprs: list[pl.Expr], order_by: str | None) -> pyarrow.Table:
    return _group_frame(table, order_by).with_columns(exprs).to_arrow()


def with_indicators(
    ds: ray.data.Dataset,
    exprs: pl.Expr | Sequence[pl.Expr],
    by: str | Sequence[str] = "symbol",
    *,
    order_by: str | None = None,
    num_partitions: int | None = None,
) -> ray.data.Dataset:
    """The dataset with indicator columns added, computed per group on the Ray workers.

    Equal, bit for bit, to ``df.sort(by, order_by).with_columns(e.over(by) for e in exprs)`` on one machine: each
    group is sorted by ``order_by`` and gets ``with_columns(exprs)``.

    Parameters
    ----------
    ds : ray.data.Dataset
        Bars of many symbols (any number of blocks, rows in any order).
    exprs : pl.Expr or list of pl.Expr
        Expressions to add, e.g. ``[kf.rsi("close", 14).alias("rsi"), kf.sma("close", 20).alias("sma")]``. Each
        must give one value per row of its group.
    by : str or list of str, default "symbol"
        The key column(s) of a group.
    order_by : str, optional
        The column that puts a group's rows in time order; by default the frame's time column (``date``,
        ``datetime``, ``time``, ``timestamp`` or the only Date / Datetime column). Without one, the rows are used in
        the order Ray's shuffle delivers them, which is not guaranteed to be the original one.
    num_partitions : int, optional
        Passed to ``ds.groupby``: how many shuffle partitions (Ray's default otherwise).

    Returns
    -------
    ray.data.Dataset
        Lazy, like every Ray Dataset; the rows come grouped by key, each group in time order.
    """
    func = "kf.ray.with_indicators"
    columns = _check_dataset(func, ds)
    keys = _check_columns(func, columns, by, order_by)
    expr_list = [exprs] if isinstance(exprs, pl.Expr) else list(exprs) if isinstance(exprs, Sequence) else None
    if not expr_list or not all(isinstance(e, pl.Expr) for e in expr_list):
        raise TypeError(f"{func}: exprs must be a polars Expr or a non-empty list of them, got {exprs!r}")
    grouped = ds.groupby(keys if len(keys) > 1 else keys[0], num_partitions=num_partitions)
    return grouped.map_groups(partial(_indicator_group, exprs=expr_list, order_by=order_by), batch_format="pyarrow")


# ---------------------------------------------------------------------------------------------------------------
# render_by


def _with_context(error: Exception, message: str) -> Exception:
    """The same kind of exception with a message that names the chart (a plain RuntimeError for exception types
    that cannot be built from one message)."""
    try:
        return type(error)(message)
    except Exception:
        return RuntimeError(message)


def _check_render_options(func: str, options: dict[str, Any]) -> str:
    """Every render option checked before any work starts (as ``render`` itself checks them); returns the format."""
    unknown = sorted(set(options) - set(_RENDER_PARAMS) - {"df"})
    if unknown:
        raise TypeError(f"{func}: unknown render option(s) {', '.join(map(repr, unknown))}")
    checked = {
        name: options.get(name, _RENDER_PARAMS[name].default)
        for name in inspect.signature(chart._check_options).parameters
    }
    try:
        opts = chart._check_options(**checked)
        check_engine(func, options.get("engine"))
    except (TypeError, ValueError) as e:
        raise _with_context(e, f"{func}: {e}") from None
    return opts.format


def _file_names(func: str, by: str, keys: list[Any], out_dir: Path, suffix: str, overwrite: bool) -> dict[Any, Path]:
    """Key -> file path; two keys with the same file name, a null key, or (without ``overwrite``) an existing file
    is an error before any chart is drawn."""
    paths: dict[Any, Path] = {}
    owner: dict[str, Any] = {}
    for key in keys:
        if key is None:
            raise ValueError(f"{func}: the {by!r} column has nulls; drop or fill them (a chart needs a key)")
        name = safe_file_stem(key) + suffix
        if name in owner:
            raise ValueError(f"{func}: keys {owner[name]!r} and {key!r} both give the file name {name!r}")
        owner[name] = key
        paths[key] = out_dir / name
    if not overwrite:
        existing = [str(p) for p in paths.values() if p.exists()]
        if existing:
            shown = ", ".join(existing[:3]) + (f" and {len(existing) - 3} more" if len(existing) > 3 else "")
            raise FileExistsError(f"{func}: {shown} exist(s); pass overwrite=True to replace")
    return paths


def _render_group(
    table: pyarrow.Table,
    by: str,
    out_dir: str,
    suffix: str,
    order_by: str | None,
    overwrite: bool,
    options: dict[str, Any],
) -> pyarrow.Table:
    import pyarrow as pa

    df = _group_frame(table, order_by)
    key_column = df.get_column(by)
    key = key_column[0]
    try:
        image = chart.render(df, **options)
        path = write_file_atomically(Path(out_dir) / (safe_file_stem(key) + suffix), image, overwrite=overwrite)
    except Exception as e:
        raise _with_context(e, f"kf.ray.render_by: chart {key!r}: {e}") from e
    return pa.table(
        {by: key_column.head(1).to_arrow(), "path": pa.array([str(path)]), "bytes": pa.array([len(image)], pa.int64())}
    )


def render_by(
    ds: ray.data.Dataset,
    by: str = "symbol",
    *,
    out_dir: str | os.PathLike[str],
    overwrite: bool = False,
    order_by: str | None = None,
    num_partitions: int | None = None,
    **options: Any,
) -> dict[Any, Path]:
    """One chart per key, drawn and written by the Ray workers; returns ``{key: path}`` in key order.

    Each file holds exactly the bytes of ``group.kf.render(**options)`` for that key's rows in time order. It is
    written to a temporary name in ``out_dir`` and renamed, so a partial file never appears under the final name.

    Parameters
    ----------
    ds : ray.data.Dataset
        Bars of many symbols.
    by : str, default "symbol"
        The key column; each key's file is ``out_dir / (safe key + suffix)`` (see
        :func:`polars_kimsfinance.filenames.safe_file_stem`) with the suffix of ``format``.
    out_dir : path
        Created if missing. The workers write to it, so on a cluster it must be a folder every node sees (a shared
        or network file system) at the same path.
    overwrite : bool, default False
        Replace existing files; without it an existing file is an error before any chart is drawn.
    order_by : str, optional
        The column that puts a group in time order (default: the time column, as in :func:`with_indicators`).
    num_partitions : int, optional
        Passed to ``ds.groupby``.
    **options
        Any option of ``df.kf.render`` (``kind``, ``width``, ``overlays``, ``format``...), the same for every chart.

    Raises
    ------
    TypeError, ValueError
        A bad or unknown option, a missing column, two keys with the same file name, or a null key (checked
        before any chart is drawn). A chart that fails on a worker raises its error naming the key.
    FileExistsError, NotADirectoryError, PermissionError
        An existing chart file without ``overwrite``; ``out_dir`` is a file or not writable.
    """
    func = "kf.ray.render_by"
    if not isinstance(by, str):
        raise TypeError(f"{func}: by must be one column name, got {by!r}")
    columns = _check_dataset(func, ds)
    _check_columns(func, columns, by, order_by)
    if not isinstance(overwrite, bool):
        raise TypeError(f"{func}: overwrite must be True or False, got {overwrite!r}")
    suffix = _SUFFIX[_check_render_options(func, options)]
    folder = out_dir_path(func, out_dir)
    # One pass over the key column: names are checked (collisions, existing files) before any chart is drawn.
    paths = _file_names(func, by, ds.unique(by), folder, suffix, overwrite)
    make_out_dir(func, folder)
    written = ds.groupby(by, num_partitions=num_partitions).map_groups(
        partial(
            _render_group,
            by=by,
            out_dir=str(folder),
            suffix=suffix,
            order_by=order_by,
            overwrite=overwrite,
            options=options,
        ),
        batch_format="pyarrow",
    )
    done = {row[by]: Path(row["path"]) for row in written.select_columns([by, "path"]).take_all()}
    return {key: done[key] for key in sorted(paths) if key in done}


__all__ = ["render_by", "with_indicators"]
