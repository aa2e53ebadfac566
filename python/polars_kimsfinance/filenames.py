"""Chart files named after group keys: a safe file name for any key, and a write that never leaves a partial file.

>>> safe_file_stem("BRK/B")
'BRK_B'
>>> safe_file_stem("..")
'_'
>>> safe_file_stem("con")
'_con'
>>> safe_file_stem(None)
'null'
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

# Path separators, the characters Windows forbids in names, and control characters (C0, DEL, C1).
_UNSAFE = re.compile(r'[/\\<>:"|?*\x00-\x1f\x7f-\x9f]')
# Names Windows reserves for devices, with or without an extension (``CON``, ``nul.png``, ``COM1``).
_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\..*)?", re.IGNORECASE)
# Most file systems cap a name at 255 bytes; this leaves room for a suffix and the temporary-file decoration.
_MAX_STEM_BYTES = 200


def safe_file_stem(key: object) -> str:
    """A file name (without suffix) for a group key that is the same on every platform and stays inside its folder.

    Path separators, characters Windows forbids and control characters become ``_``; leading and trailing spaces
    and dots are dropped (``..`` becomes ``_``), Windows device names get a leading ``_``, a null key is ``null``
    and a long key is cut to 200 bytes of UTF-8. Different keys can give the same name (``"a/b"`` and ``"a_b"``):
    callers that write many files check for that.
    """
    text = "null" if key is None else str(key)
    stem = _UNSAFE.sub("_", text).strip(" .")
    if not stem:
        stem = "_"
    if _RESERVED.fullmatch(stem):
        stem = "_" + stem
    encoded = stem.encode("utf-8")
    if len(encoded) > _MAX_STEM_BYTES:
        stem = encoded[:_MAX_STEM_BYTES].decode("utf-8", errors="ignore").rstrip(" .") or "_"
    return stem


def out_dir_path(func: str, out_dir: object) -> Path:
    """``out_dir`` as a Path: TypeError when it is not a path, NotADirectoryError when it names an existing file."""
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"{func}: out_dir must be a path, got {type(out_dir).__name__}")
    path = Path(out_dir)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{func}: out_dir {str(path)!r} exists and is not a directory")
    return path


def make_out_dir(func: str, path: Path) -> None:
    """Create the output folder (and its parents) if needed; PermissionError naming ``func`` when it cannot be created
    or written to."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PermissionError(f"{func}: cannot create out_dir {str(path)!r}: {e}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise PermissionError(f"{func}: out_dir {str(path)!r} is not writable")


def write_file_atomically(path: Path, data: bytes, *, overwrite: bool) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename, so that a reader (or
    a crash) never sees a partial file. Without ``overwrite`` an existing file is a ``FileExistsError``."""
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


__all__ = ["safe_file_stem", "write_file_atomically"]
