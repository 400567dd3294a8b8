"""Benchmark: one batched mom_lib sweep against the loops a user would otherwise write.

The task: heavy ball on the 2-D quadratic with eigenvalues 1 and 10, from (1, 1), over a
100 x 100 grid of (lr, beta), 1,000 steps each, keeping only the last iterate. Every side
does the same arithmetic, and its final iterates are checked against mom_lib's (bit for bit
on the runs that did not diverge) before any time is reported.

Rows:

* ``mom_lib.run``: one call ``run(heavy_ball, f.grad, x0, keep="last", lr=lrs[:, None], beta=betas)``.
* NumPy, batched: the obvious loop, ``x`` and ``v`` of shape (100, 100, 2),
  ``v = beta[None, :, None] * v + lam * x; x = x - lr[:, None, None] * v``.
* NumPy, batched, (d, batch) layout: the same with ``x`` of shape (2, 100, 100), so every
  elementwise loop runs over the long batch axis.
* torch, batched: the obvious loop on float64 tensors, no autograd, one thread.
* torch.optim.SGD: a Python loop over configurations, each a fresh optimizer stepping
  1,000 times with autograd; a fixed random sample of configurations is timed and the time
  is extrapolated to the grid.
* pure Python: float arithmetic, one configuration at a time; sampled and extrapolated.

Method: everything runs in one process. Each side is called once untimed first (warm-up:
imports, torch's first-call setup, caches), then the sides are timed in turn, ``--repeats``
rounds, the order of the sides rotating every round, so that load from elsewhere on the
machine falls on all sides alike. The table gives the median over the rounds (and the
fastest and slowest round) and the ratio of each side's median to mom_lib's; a ratio above
1 means slower than mom_lib. The process CPU time of each call is given too: on a shared
machine it is less disturbed by other programs than the wall clock. The peak of the
allocations traced by ``tracemalloc`` during one mom_lib call is measured after the timing
rounds.

Usage: python benchmarks/sweep.py [--repeats 7] [--sample-torch 20] [--sample-python 100]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from mom_lib import DIVERGENCE_THRESHOLD, Quadratic, heavy_ball, run

N_LR, N_BETA, N_STEPS = 100, 100, 1000
F = Quadratic([1.0, 10.0])
X0 = np.array([1.0, 1.0])
LRS = np.linspace(0.001, 0.39, N_LR)
BETAS = np.linspace(0.0, 0.99, N_BETA)
LAM = F.eigenvalues


def mom_lib_sweep() -> np.ndarray:
    return run(heavy_ball, F.grad, X0, n_steps=N_STEPS, keep="last", lr=LRS[:, None], beta=BETAS).final


def numpy_batched() -> np.ndarray:
    x = np.broadcast_to(X0, (N_LR, N_BETA, 2)).copy()
    v = np.zeros_like(x)
    lr, beta = LRS[:, None, None], BETAS[None, :, None]
    with np.errstate(all="ignore"):
        for _ in range(N_STEPS):
            v = beta * v + x * LAM
            x = x - lr * v
    return x


def numpy_batched_d_first() -> np.ndarray:
    x = np.broadcast_to(X0[:, None, None], (2, N_LR, N_BETA)).copy()
    v = np.zeros_like(x)
    lr, beta, lam = LRS[None, :, None], BETAS[None, None, :], LAM[:, None, None]
    with np.errstate(all="ignore"):
        for _ in range(N_STEPS):
            v = beta * v + x * lam
            x = x - lr * v
    return np.moveaxis(x, 0, -1)


def torch_batched() -> np.ndarray:
    import torch

    x = torch.tensor(X0, dtype=torch.float64).expand(N_LR, N_BETA, 2).clone()
    v = torch.zeros_like(x)
    lr = torch.tensor(LRS, dtype=torch.float64)[:, None, None]
    beta = torch.tensor(BETAS, dtype=torch.float64)[None, :, None]
    lam = torch.tensor(LAM, dtype=torch.float64)
    with torch.no_grad():
        for _ in range(N_STEPS):
            v = beta * v + x * lam
            x = x - lr * v
    return x.numpy()


def torch_sgd_one(lr: float, beta: float) -> np.ndarray:
    import torch

    x = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
    a = torch.diag(torch.tensor(LAM, dtype=torch.float64))
    opt = torch.optim.SGD([x], lr=lr, momentum=beta)
    for _ in range(N_STEPS):
        opt.zero_grad()
        loss = 0.5 * x @ a @ x
        loss.backward()
        opt.step()
    return x.detach().numpy()


def python_one(lr: float, beta: float) -> np.ndarray:
    x1, x2 = float(X0[0]), float(X0[1])
    v1 = v2 = 0.0
    l1, l2 = float(LAM[0]), float(LAM[1])
    for _ in range(N_STEPS):
        v1 = beta * v1 + x1 * l1
        v2 = beta * v2 + x2 * l2
        x1 = x1 - lr * v1
        x2 = x2 - lr * v2
    return np.array([x1, x2])


def sampled(one: Callable[[float, float], np.ndarray], picks: np.ndarray) -> Callable[[], np.ndarray]:
    """A side that runs ``one`` on the sampled configurations; returns their final iterates."""

    def side() -> np.ndarray:
        return np.array([one(float(LRS[i]), float(BETAS[j])) for i, j in picks])

    return side


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds per side (default 7)")
    parser.add_argument("--sample-torch", type=int, default=20, help="torch.optim.SGD configurations per round")
    parser.add_argument("--sample-python", type=int, default=100, help="pure-Python configurations per round")
    args = parser.parse_args()
    if args.repeats < 1 or args.sample_torch < 1 or args.sample_python < 1:
        parser.error("--repeats and the sample sizes must be >= 1")

    rng = np.random.default_rng(0)
    n_grid = N_LR * N_BETA

    def picks(k: int) -> np.ndarray:
        return np.array(np.unravel_index(rng.choice(n_grid, size=min(k, n_grid), replace=False), (N_LR, N_BETA))).T

    # name, function, number of configurations it runs (to extrapolate sampled sides)
    sides: list[tuple[str, Callable[[], np.ndarray], np.ndarray | None]] = [
        ("mom_lib.run, one batched call", mom_lib_sweep, None),
        ("NumPy batched loop, (100, 100, 2)", numpy_batched, None),
        ("NumPy batched loop, (2, 100, 100)", numpy_batched_d_first, None),
    ]
    notes = []
    try:
        import torch
    except ImportError:
        torch = None
        notes.append("torch is not installed (pip install torch==2.13.0): its rows are skipped")
    if torch is not None:
        torch.set_num_threads(1)
        sides.append(("torch batched loop, float64, 1 thread", torch_batched, None))
        p = picks(args.sample_torch)
        sides.append((f"torch.optim.SGD per config ({len(p)} sampled)", sampled(torch_sgd_one, p), p))
    p = picks(args.sample_python)
    sides.append((f"pure Python floats per config ({len(p)} sampled)", sampled(python_one, p), p))

    # warm-up, and the check that every side computes what mom_lib computes
    ours = mom_lib_sweep()
    ok = np.all(np.isfinite(ours), axis=-1)
    assert 0 < ok.sum() < n_grid, "the grid should hold both converging and diverging runs"
    agreement = []
    for name, fn, p in sides:
        theirs = fn()
        mine = ours if p is None else ours[p[:, 0], p[:, 1]]
        keep = ok if p is None else ok[p[:, 0], p[:, 1]]
        assert theirs.shape == mine.shape, name
        bitwise = np.array_equal(theirs[keep], mine[keep])
        if not bitwise:
            np.testing.assert_allclose(theirs[keep], mine[keep], rtol=1e-12, atol=0, err_msg=name)
        agreement.append("bit for bit" if bitwise else f"max rel. diff {_max_rel(theirs[keep], mine[keep]):.1e}")

    times: dict[str, list[float]] = {name: [] for name, _, _ in sides}
    cpu: dict[str, list[float]] = {name: [] for name, _, _ in sides}
    for r in range(args.repeats):
        order = sides[r % len(sides) :] + sides[: r % len(sides)]
        for name, fn, p in order:
            scale = 1.0 if p is None else n_grid / len(p)
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            times[name].append((time.perf_counter() - start) * scale)
            cpu[name].append((time.process_time() - start_cpu) * scale)

    tracemalloc.start()
    mom_lib_sweep()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    base = float(np.median(times[sides[0][0]]))
    base_cpu = float(np.median(cpu[sides[0][0]]))
    n_ok = int(ok.sum())
    print(f"heavy ball, grid {N_LR} x {N_BETA} (lr, beta), {N_STEPS} steps, Quadratic([1, 10]) from (1, 1)")
    print(f"{n_ok} of {n_grid} runs converge, {n_grid - n_ok} diverge (|x| > {DIVERGENCE_THRESHOLD:.0e})")
    print(f"median of {args.repeats} interleaved rounds after a warm-up; sampled rows extrapolated to {n_grid} configs")
    print()
    header = (
        f"{'side':<49} {'median s':>9} {'fastest':>9} {'slowest':>9} {'/ mom_lib':>9}"
        f" {'CPU s':>9} {'/ mom_lib':>9}  final iterates vs mom_lib"
    )
    print(header)
    print("-" * len(header))
    for (name, _, _), same in zip(sides, agreement, strict=True):
        t = np.array(times[name])
        med, med_cpu = float(np.median(t)), float(np.median(cpu[name]))
        print(
            f"{name:<49} {med:>9.3f} {t.min():>9.3f} {t.max():>9.3f} {med / base:>9.2f}"
            f" {med_cpu:>9.3f} {med_cpu / base_cpu:>9.2f}  {same}"
        )
    print("(median s, fastest, slowest: wall clock; CPU s: median process CPU time; '/ mom_lib': ratio of medians)")
    print()
    print(f"mom_lib peak traced memory during one call: {peak / 2**20:.2f} MiB")
    for note in notes:
        print(note)


def _max_rel(a: np.ndarray, b: np.ndarray) -> float:
    scale = np.maximum(np.abs(b), np.finfo(float).tiny)
    return float(np.max(np.abs(a - b) / scale)) if a.size else 0.0


if __name__ == "__main__":
    main()
