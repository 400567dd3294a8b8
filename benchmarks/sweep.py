"""Benchmark: one batched mom_lib sweep against a per-configuration loop of torch.optim.SGD.

The task: heavy ball on a 2-D quadratic (eigenvalues 1 and 10) from (1, 1), over a
100 x 100 grid of (lr, beta), 1,000 steps each, keeping only the last iterate.

* mom_lib: one call ``run(heavy_ball, ..., keep="last", lr=lrs[:, None], beta=betas)``; best of 3.
* torch: what a user would otherwise write, a Python loop over configurations, each a fresh
  ``torch.optim.SGD`` stepping 1,000 times with autograd. A random sample of configurations is
  timed and the time is extrapolated to the whole grid, in the same process.
* memory: peak of the allocations traced by ``tracemalloc`` during the mom_lib call.

Usage: python benchmarks/sweep.py [--sample 40]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from mom_lib import Quadratic, heavy_ball, run

N_LR, N_BETA, N_STEPS = 100, 100, 1000
F = Quadratic([1.0, 10.0])
X0 = np.array([1.0, 1.0])
LRS = np.linspace(0.001, 0.39, N_LR)
BETAS = np.linspace(0.0, 0.99, N_BETA)


def sweep() -> np.ndarray:
    return run(heavy_ball, F.grad, X0, n_steps=N_STEPS, keep="last", lr=LRS[:, None], beta=BETAS).final


def torch_one(lr: float, beta: float) -> np.ndarray:
    import torch

    x = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
    a = torch.tensor(F.matrix)
    opt = torch.optim.SGD([x], lr=lr, momentum=beta)
    for _ in range(N_STEPS):
        opt.zero_grad()
        loss = 0.5 * x @ a @ x
        loss.backward()
        opt.step()
    return x.detach().numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=40, help="torch configurations to time (default 40)")
    args = parser.parse_args()

    sweep()  # warm-up
    times = []
    for _ in range(3):
        start = time.perf_counter()
        final = sweep()
        times.append(time.perf_counter() - start)
    ours = min(times)

    tracemalloc.start()
    sweep()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    print(f"grid {N_LR} x {N_BETA} (lr, beta), {N_STEPS} steps, 2-D quadratic, keep='last'")
    print(f"mom_lib.run, one batched call: {ours:.3f} s (best of 3)")
    print(f"mom_lib peak traced memory:    {peak / 2**20:.2f} MiB")

    try:
        import torch
    except ImportError:
        print("torch is not installed: pip install torch==2.13.0 to time the per-configuration loop")
        return
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    picks = rng.choice(N_LR * N_BETA, size=args.sample, replace=False)
    start = time.perf_counter()
    worst = 0.0
    for k in picks:
        i, j = divmod(int(k), N_BETA)
        theirs = torch_one(float(LRS[i]), float(BETAS[j]))
        if np.all(np.isfinite(final[i, j])):
            worst = max(worst, float(np.abs(theirs - final[i, j]).max()))
    per_config = (time.perf_counter() - start) / args.sample
    extrapolated = per_config * N_LR * N_BETA
    print(f"torch.optim.SGD loop: {per_config * 1e3:.1f} ms per configuration, {args.sample} timed")
    print(f"torch.optim.SGD loop, extrapolated to {N_LR * N_BETA} configurations: {extrapolated:.1f} s")
    print(f"speed-up: {extrapolated / ours:.0f}x (target >= 500x); peak memory target < 50 MiB")
    print(f"largest difference from torch on the sampled non-diverged configurations: {worst:.2e}")


if __name__ == "__main__":
    main()
