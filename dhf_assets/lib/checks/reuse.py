"""When a check may reuse its last passing result: the fingerprint of exactly what it validates.

A check validates one frame (its SQL's rows for the cave, after `enrich`) against expectations built from
the vocabulary. Its fingerprint hashes that frame (row order aside), the vocabulary and the check's own
definition (name, asset, SQL, id column, the code of its `expectations` and `enrich` functions and of the
module-level functions and constants they use, the validator's code, the dhf and Great Expectations versions).
A passing evaluation records its fingerprint in `asset_fingerprints` under `check:<name>`; a failing one
records nothing, so a failure is always validated again. Dagster-free and free of Great Expectations:
deciding to reuse never imports it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import types
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

CHECK_PREFIX = "check:"  # asset names match ^[a-z_][a-z0-9_]*$, so a check's key never collides with one
_PLAIN = (str, bytes, int, float, complex, bool, type(None))


def fingerprint_key(check_name: str) -> str:
    """The `asset` column under which a check's last passing fingerprint is recorded."""
    return f"{CHECK_PREFIX}{check_name}"


def _constant(value: Any) -> str:
    if isinstance(value, (frozenset, set)):  # iteration order of a set of strings varies between processes
        return "{" + ",".join(sorted(_constant(v) for v in value)) + "}"
    if isinstance(value, (tuple, list)):
        return "(" + ",".join(_constant(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ",".join(sorted(f"{_constant(k)}:{_constant(v)}" for k, v in value.items())) + "}"
    if isinstance(value, types.CodeType):
        return _code(value, {}, set())
    return repr(value) if isinstance(value, _PLAIN) else type(value).__qualname__


def _code(code: types.CodeType, namespace: Mapping[str, Any], seen: set[int]) -> str:
    """The bytecode, constants and names of `code` and, recursively, of the module-level functions it calls."""
    parts = [code.co_code.hex(), ",".join(code.co_names)]
    for constant in code.co_consts:
        parts.append(_code(constant, namespace, seen) if isinstance(constant, types.CodeType) else _constant(constant))
    for name in code.co_names:
        value = namespace.get(name)
        if isinstance(value, types.FunctionType):
            parts.append(f"{name}={function_digest(value, seen)}")
        elif isinstance(value, (*_PLAIN, tuple, list, frozenset, dict)):
            parts.append(f"{name}={_constant(value)}")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def function_digest(function: Callable[..., Any] | None, seen: set[int] | None = None) -> str:
    """A deterministic hash of a function's code (and of the module-level functions and constants it uses)."""
    if function is None:
        return "-"
    seen = set() if seen is None else seen
    if id(function) in seen:  # recursion
        return "recursive"
    seen.add(id(function))
    code = getattr(function, "__code__", None)
    if code is None:
        return getattr(function, "__qualname__", type(function).__qualname__)
    cells = [_constant(cell.cell_contents) for cell in function.__closure__ or ()]
    defaults = [_constant(value) for value in function.__defaults__ or ()]
    return hashlib.sha256("\x1f".join([_code(code, function.__globals__, seen), *cells, *defaults]).encode()
                          ).hexdigest()


@functools.lru_cache(maxsize=None)
def package_version(name: str) -> str:
    """The installed version of a distribution, without importing it ('-' when not installed)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def frame_digest(frame: pd.DataFrame) -> str:
    """A hash of the frame's columns, dtypes and rows, independent of row order (duplicates count)."""
    if not len(frame.columns):
        rows = np.array([], dtype=np.uint64)
    else:
        try:
            hashes = pd.util.hash_pandas_object(frame, index=False)
        except TypeError:  # unhashable cells (lists from DuckDB arrays): hash each cell's repr
            hashes = pd.util.hash_pandas_object(frame.map(repr), index=False)
        rows = np.sort(hashes.to_numpy())
    header = "\x1f".join(f"{column}:{dtype}" for column, dtype in frame.dtypes.items())
    return hashlib.sha256(header.encode() + b"\x1e" + rows.tobytes()).hexdigest()


def vocabulary_digest(vocabulary: Mapping[str, list[str]]) -> str:
    return _constant({attribute: sorted(codes) for attribute, codes in vocabulary.items()})


def combine(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
