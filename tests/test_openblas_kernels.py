"""The same stored outputs under every OpenBLAS kernel this CPU can run.

OpenBLAS picks a kernel by CPU (Prescott, Sandybridge, Haswell, SkylakeX, ...), and kernels round
differently, so a reader's laptop, Binder and CI elsewhere compute matrix products with other last
bits than the machine that stored the notebooks' outputs. The main test run checks every notebook
under the machine's own kernel (nbval, strict); here each notebook is checked again, in a fresh
pytest process, under every other kernel the CPU supports. The kernel is never pinned for the
book: ``OPENBLAS_CORETYPE`` is set for these child processes only, and each child first proves
that OpenBLAS really runs the kernel asked for.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [*sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")), ROOT / "showcase.ipynb"]

# OpenBLAS's x86-64 kernels, oldest first, with the CPU flags each one needs
X86_KERNELS = {
    "Prescott": set(),
    "Sandybridge": {"avx"},
    "Haswell": {"avx2", "fma"},
    "SkylakeX": {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"},
}

# what threadpoolctl reports for a kernel asked for by name, where the two differ
REPORTED_AS = {"Prescott": "Katmai"}

PROBE = "import numpy, threadpoolctl; print(threadpoolctl.threadpool_info()[0]['architecture'])"


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def kernel_of(env: dict[str, str]) -> str:
    """The kernel OpenBLAS runs in a fresh interpreter with ``env``."""
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def other_kernels() -> list[str]:
    if platform.machine() not in ("x86_64", "AMD64"):
        return []
    flags = cpu_flags()
    return [k for k, need in X86_KERNELS.items() if need <= flags]


def child_env(kernel: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env["OPENBLAS_CORETYPE"] = kernel
    env.setdefault("MOM_LIB_STRICT_CHECKS", "1")
    return env


NATIVE = kernel_of({k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")})
KERNELS = [k for k in other_kernels() if k.lower() != NATIVE.lower()]


@pytest.fixture(scope="module")
def children(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[subprocess.Popen, Path]]:
    """One nbval run per kernel, all started at once (each child is mostly one busy core)."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--nbval"]
    cmd += ["--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg")]
    cmd += list(map(str, NOTEBOOKS))
    started = {}
    for kernel in KERNELS:
        log = tmp_path_factory.mktemp(kernel) / "nbval.log"
        with log.open("w") as out:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(kernel), stdout=out, stderr=subprocess.STDOUT)
        started[kernel] = (proc, log)
    yield started
    for proc, _ in started.values():
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("kernel", KERNELS or ["none"])
def test_notebooks_match_their_stored_outputs_under_kernel(kernel: str, children) -> None:
    if kernel == "none":
        pytest.skip(f"no OpenBLAS kernel other than the native {NATIVE} to try on {platform.machine()}")
    running = kernel_of(child_env(kernel))
    assert running.lower() == REPORTED_AS.get(kernel, kernel).lower(), f"asked for {kernel}, OpenBLAS runs {running}"
    proc, log = children[kernel]
    code = proc.wait(timeout=1800)
    assert code == 0, f"under OPENBLAS_CORETYPE={kernel}:\n{log.read_text()[-8000:]}"
