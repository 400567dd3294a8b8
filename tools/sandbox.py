"""The sandbox one submission runs in: Debian's ``bubblewrap`` plus ``setpriv`` and ``prlimit``.

:func:`command` wraps a command line so that it runs

* in new PID, network, IPC, UTS (and cgroup) namespaces: no network at all, and when the
  sandbox's first process dies (``--die-with-parent``: when the grader kills it or exits)
  the kernel kills everything the submission started, detached or not;
* on a read-only view of only what Python needs (``/usr``, the Python installation, the
  virtualenv) and the two runner files; no ``mom_lib``, no book, no submissions, no grades,
  no private cases, no home directory; ``/tmp`` and the working directory are small tmpfs;
* as an unprivileged user of its own (a uid per parallel slot) with no capabilities and
  ``no_new_privs``, under limits on address space (memory), CPU seconds, processes
  (including threads), file size and open files.

When run as root (as here) bwrap needs no user namespace and ``setpriv`` drops to the slot's
uid; as an ordinary user bwrap maps that user into a user namespace, and the process limit
then counts all of the user's processes (so it is not applied).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Where the runner files appear inside the sandbox.
RUNNER_DIR = "/grader"


@dataclass(frozen=True)
class Limits:
    """Per-submission limits. ``memory_mb`` is the address space of each process."""

    memory_mb: int = 2048
    cpu_seconds: int = 600
    processes: int = 32
    file_mb: int = 16
    tmpfs_mb: int = 64
    open_files: int = 256


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def install_bwrap() -> bool:
    """Install bubblewrap with apt when root and missing; whether ``bwrap`` is there afterwards."""
    if bwrap_path():
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "bubblewrap"]):
            if subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
                return False
    return bwrap_path() is not None


def works() -> str | None:
    """``None`` when a trivial sandboxed command runs here, else why not."""
    if not bwrap_path():
        return "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    probe = subprocess.run(
        command([sys.executable, "-I", "-c", "print(6 * 7)"], slot=0, limits=Limits()),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if probe.stdout.strip() != "42":
        return f"bwrap does not run here: {probe.stderr.strip()[:300]}"
    return None


def _tool(name: str) -> str:
    """Where util-linux's ``name`` (setpriv, prlimit) is installed; the sandbox shows /usr and /bin."""
    return shutil.which(name, path="/usr/bin:/bin:/usr/sbin:/sbin") or f"/usr/bin/{name}"


def _dirs_for(path: str) -> list[str]:
    """``--dir`` arguments (mode 0755) for every parent of ``path`` below ``/``."""
    out: list[str] = []
    parts = Path(path).parts[1:-1]
    for i in range(len(parts)):
        out += ["--perms", "0755", "--dir", "/" + "/".join(parts[: i + 1])]
    return out


def _python_roots() -> list[str]:
    roots = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix), os.path.realpath(sys.exec_prefix)}
    roots.add(os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))))
    return sorted(r for r in roots if not r.startswith("/usr"))


_CACHE: dict[str, str] = {}


def font_cache() -> str | None:
    """A matplotlib font cache built once per grading run (outside the sandbox), shown read-only inside.

    Without it every sandbox would rebuild the cache, about a second per submission.
    """
    if "dir" not in _CACHE:
        path = tempfile.mkdtemp(prefix="grade-mpl-")
        atexit.register(shutil.rmtree, path, True)
        os.chmod(path, 0o755)
        env = {**os.environ, "MPLCONFIGDIR": path, "MPLBACKEND": "Agg"}
        code = "import matplotlib.font_manager, matplotlib.pyplot"
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=300)
        for entry in Path(path).iterdir():
            entry.chmod(0o644)
        _CACHE["dir"] = path if done.returncode == 0 else ""
    return _CACHE["dir"] or None


def command(argv: list[str], *, slot: int, limits: Limits, env: dict[str, str] | None = None) -> list[str]:
    """``argv`` wrapped in bwrap, setpriv and prlimit (the paths in ``argv`` are as seen inside)."""
    cmd = [bwrap_path() or "bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    cmd += ["--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    cmd += ["--ro-bind", "/usr", "/usr"]
    for name in ("lib", "lib64", "bin", "sbin"):
        target = os.readlink(f"/{name}") if os.path.islink(f"/{name}") else None
        if target:
            cmd += ["--symlink", target, f"/{name}"]
        elif os.path.isdir(f"/{name}"):
            cmd += ["--ro-bind", f"/{name}", f"/{name}"]
    # the private /tmp first: a Python or virtualenv that lives under /tmp is bound on top of it
    size = str(limits.tmpfs_mb * 2**20)
    cmd += ["--perms", "1777", "--size", size, "--tmpfs", "/tmp"]
    for root in _python_roots():
        cmd += _dirs_for(root) + ["--ro-bind", root, root]
    cmd += ["--perms", "0755", "--dir", RUNNER_DIR]
    for name in ("grade_sandbox.py", "grade_wire.py"):
        cmd += ["--ro-bind", str(HERE / name), f"{RUNNER_DIR}/{name}"]
    fonts = font_cache()
    if fonts:
        cmd += ["--ro-bind", fonts, "/mplcache"]
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    cmd += ["--perms", "1777", "--size", size, "--tmpfs", "/submission", "--chdir", "/submission"]
    cmd += ["--clearenv"]
    base = {
        "HOME": "/tmp",
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/mplcache" if fonts else "/tmp/mpl",
        "IPYTHONDIR": "/tmp/ipython",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if os.environ.get("OPENBLAS_CORETYPE"):
        base["OPENBLAS_CORETYPE"] = os.environ["OPENBLAS_CORETYPE"]
    for key, value in {**base, **(env or {})}.items():
        cmd += ["--setenv", key, value]
    cmd += ["--"]
    if os.geteuid() == 0:
        uid = str(61000 + (os.getpid() % 500) * 8 + slot % 8)
        cmd += [_tool("setpriv"), f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs"]
        cmd += ["--inh-caps=-all", "--bounding-set=-all", "--"]
    cmd += [_tool("prlimit"), f"--as={limits.memory_mb * 2**20}", f"--cpu={limits.cpu_seconds}"]
    cmd += [f"--fsize={limits.file_mb * 2**20}", f"--nofile={limits.open_files}", "--core=0"]
    if os.geteuid() == 0:
        cmd += [f"--nproc={limits.processes}"]
    cmd += ["--"] + argv
    return cmd


def runner_argv() -> list[str]:
    """The command that starts the runner inside the sandbox."""
    return [sys.executable, "-I", f"{RUNNER_DIR}/grade_sandbox.py"]
