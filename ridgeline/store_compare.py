"""Are two runs' results the same arrays? Every store under one results folder against the store
at the same path under another: the same variables, coordinates, shapes, dtypes and values (NaN
equal to NaN), ignoring the attributes that record when and where a store was written (its
provenance). Used to show that a cluster run, a resumed run or a refactoring changed nothing."""

from pathlib import Path

import numpy as np

from .io import open_store

#: Store attributes that record the run, not its results.
RUN_ATTRIBUTES = frozenset({"ridgeline_version", "git_commit", "config", "rule", "created"})


def result_stores(results) -> list[str]:
    """Paths (relative to ``results``) of every store below it: folders named ``*.zarr``, outermost only."""
    root = Path(results)
    found = sorted(p for p in root.rglob("*.zarr") if p.is_dir())
    outer = [p for p in found if not any(q in p.parents for q in found)]
    return [p.relative_to(root).as_posix() for p in outer]


def store_differences(a, b) -> list[str]:
    """What differs between the stores ``a`` and ``b`` (empty when their arrays are identical)."""
    x, y = open_store(a), open_store(b)
    out = []
    names_x, names_y = set(x.variables), set(y.variables)
    if names_x != names_y:
        out.append(f"variables only in one: {sorted(names_x ^ names_y)}")
    for name in sorted(names_x & names_y):
        u, v = x[name], y[name]
        if u.dims != v.dims or u.shape != v.shape or u.dtype != v.dtype:
            out.append(f"{name}: {u.dims} {u.shape} {u.dtype} vs {v.dims} {v.shape} {v.dtype}")
        elif not np.array_equal(u.values, v.values, equal_nan=u.dtype.kind in "fc"):
            out.append(f"{name}: values differ")
    changed = {k for k in set(x.attrs) | set(y.attrs) - RUN_ATTRIBUTES
               if k not in RUN_ATTRIBUTES and str(x.attrs.get(k)) != str(y.attrs.get(k))}
    if changed:
        out.append(f"attributes differ: {sorted(changed)}")
    return out


def run_differences(results_a, results_b) -> dict[str, list[str]]:
    """{store path: differences} over the stores of two results folders; a store missing on one side
    is a difference. Empty when every store holds identical arrays."""
    a, b = set(result_stores(results_a)), set(result_stores(results_b))
    out = {path: ["missing in the second run"] for path in sorted(a - b)}
    out |= {path: ["missing in the first run"] for path in sorted(b - a)}
    for path in sorted(a & b):
        diff = store_differences(Path(results_a) / path, Path(results_b) / path)
        if diff:
            out[path] = diff
    return out
