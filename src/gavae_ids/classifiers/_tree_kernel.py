"""numba kernels that walk a forest held as flat arrays (see :mod:`.compiled_trees`).

Imported only when a compiled forest scores, so ``numba`` stays optional. The
kernels are this file's own source, JIT-compiled by numba; a model contributes
numbers only (split features, thresholds, child indices, leaf values).

Children are stored in pairs: ``children[2 * node]`` is the left child,
``children[2 * node + 1]`` the right one; a negative index ``~leaf`` is a leaf.
Each row adds its trees' leaf values in tree order, so the sums are those of a
loop over the trees — LightGBM's and scikit-learn's order.

:func:`forest_sum_bitmask` walks no tree: it is QuickScorer (Lucchese et al.,
SIGIR 2015) over a block of rows. Each split whose test fails (``x > threshold``)
clears, in its tree's bit vector, the leaves of its left subtree (leaves numbered
left to right); the lowest bit left set is the leaf the row reaches. Every split
is tested for every row, but with no branch and no load that waits on another, so
the tests of a block run as vector instructions.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from numba.cpython.unsafe.numbers import trailing_zeros


@njit(cache=True, parallel=True, nogil=True)
def forest_sum(X, roots, feature, threshold, children, leaf_value, tree_col, n_out, block):
    """Per row, the sum over trees of the leaf value, ``x <= threshold`` going left.

    The rows go in blocks of ``block`` (one block per thread at a time); inside a
    block every tree is walked for 4 rows at once, so that the 4 walks' memory
    loads overlap. No NaN handling: see :func:`forest_sum_missing`.
    """
    n = X.shape[0]
    out = np.zeros((n, n_out))
    width = leaf_value.shape[1]
    for b in prange((n + block - 1) // block):
        start = b * block
        stop = min(start + block, n)
        for t in range(roots.shape[0]):
            col = tree_col[t]
            root = roots[t]
            r = start
            while r + 4 <= stop:
                a0 = root
                a1 = root
                a2 = root
                a3 = root
                while a0 >= 0 or a1 >= 0 or a2 >= 0 or a3 >= 0:
                    if a0 >= 0:
                        a0 = children[2 * a0 + (X[r, feature[a0]] > threshold[a0])]
                    if a1 >= 0:
                        a1 = children[2 * a1 + (X[r + 1, feature[a1]] > threshold[a1])]
                    if a2 >= 0:
                        a2 = children[2 * a2 + (X[r + 2, feature[a2]] > threshold[a2])]
                    if a3 >= 0:
                        a3 = children[2 * a3 + (X[r + 3, feature[a3]] > threshold[a3])]
                for j in range(width):
                    out[r, col + j] += leaf_value[~a0, j]
                    out[r + 1, col + j] += leaf_value[~a1, j]
                    out[r + 2, col + j] += leaf_value[~a2, j]
                    out[r + 3, col + j] += leaf_value[~a3, j]
                r += 4
            while r < stop:
                node = root
                while node >= 0:
                    node = children[2 * node + (X[r, feature[node]] > threshold[node])]
                for j in range(width):
                    out[r, col + j] += leaf_value[~node, j]
                r += 1
    return out


@njit(cache=True, parallel=True, nogil=True)
def forest_sum_bitmask(X, used, split_slot, threshold, clear, split_start, leaf_start,
                       leaf_value, tree_col, n_out, block):  # fmt: skip
    """:func:`forest_sum` for forests of trees with at most 64 leaves and one value per
    leaf (LightGBM), by bit vectors.

    ``used`` lists the features that the splits read; a block's rows are copied
    feature by feature (``split_slot`` indexes ``used``). Tree ``t`` owns the splits
    ``split_start[t]:split_start[t + 1]`` and the leaves from ``leaf_start[t]`` on, in
    left-to-right order; ``clear`` is a split's mask (its left subtree's leaves off).
    Sums are kept per output column and block, in tree order (the same additions as
    :func:`forest_sum`). No NaN handling: see :func:`forest_sum_missing`.
    """
    n = X.shape[0]
    out = np.empty((n, n_out))
    every = np.uint64(0xFFFFFFFFFFFFFFFF)
    for b in prange((n + block - 1) // block):
        start = b * block
        m = min(start + block, n) - start
        rows = np.empty((used.shape[0], m))
        for i in range(m):
            for k in range(used.shape[0]):
                rows[k, i] = X[start + i, used[k]]
        bits = np.empty(m, np.uint64)
        sums = np.zeros((n_out, m))
        for t in range(leaf_start.shape[0]):
            bits[:] = every
            for s in range(split_start[t], split_start[t + 1]):
                x, limit, off = rows[split_slot[s]], threshold[s], clear[s]
                for i in range(m):
                    bits[i] &= off if x[i] > limit else every
            column = sums[tree_col[t]]
            first = leaf_start[t]
            for i in range(m):
                column[i] += leaf_value[first + trailing_zeros(bits[i])]
        for i in range(m):
            for c in range(n_out):
                out[start + i, c] = sums[c, i]
    return out


@njit(cache=True, parallel=True, nogil=True)
def forest_sum_missing(X, roots, feature, threshold, children, nan_left, zero_missing,
                       leaf_value, tree_col, n_out):  # fmt: skip
    """:func:`forest_sum` for rows with NaN or trees with zero-as-missing splits.

    A NaN goes to ``nan_left``'s side; at a ``zero_missing`` split so does any
    value in LightGBM's zero band ``(-1e-35, 1e-35]``.
    """
    n = X.shape[0]
    out = np.zeros((n, n_out))
    width = leaf_value.shape[1]
    for r in prange(n):
        for t in range(roots.shape[0]):
            node = roots[t]
            while node >= 0:
                v = X[r, feature[node]]
                if v != v or (zero_missing[node] and -1e-35 < v <= 1e-35):
                    right = not nan_left[node]
                else:
                    right = v > threshold[node]
                node = children[2 * node + right]
            for j in range(width):
                out[r, tree_col[t] + j] += leaf_value[~node, j]
    return out


@njit(cache=True, nogil=True)
def softmax_rows(raw):
    """LightGBM's ``Softmax`` in place, row by row (the same operations in the same order,
    and libm's ``exp`` like LightGBM's, so the same bits)."""
    for r in range(raw.shape[0]):
        top = raw[r, 0]
        for j in range(1, raw.shape[1]):
            top = max(raw[r, j], top)
        total = 0.0
        for j in range(raw.shape[1]):
            raw[r, j] = math.exp(raw[r, j] - top)
            total += raw[r, j]
        for j in range(raw.shape[1]):
            raw[r, j] /= total
    return raw


@njit(cache=True, nogil=True)
def sigmoid_pairs(raw):
    """``[1 - p, p]`` with LightGBM's ``p = 1 / (1 + exp(-raw))`` (sigmoid 1)."""
    out = np.empty((raw.shape[0], 2))
    for r in range(raw.shape[0]):
        p = 1.0 / (1.0 + math.exp(-raw[r, 0]))
        out[r, 0] = 1.0 - p
        out[r, 1] = p
    return out
