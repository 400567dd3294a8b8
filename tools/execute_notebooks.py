"""Re-execute chapter notebooks in place, top to bottom in a fresh kernel, and normalize them.

Usage: python tools/execute_notebooks.py chapters/01_gradient_descent.ipynb [...]

Normalizing keeps diffs small and nbval strict happy: execution counts 1..n, deterministic
cell ids, only the kernelspec and language in the notebook metadata, no widget state, and
only ``tags`` (plus ``jupyter`` display hints) in cell metadata.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
CELL_KEYS = ("tags", "jupyter")


def normalize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"
        cell.metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items() if k in CELL_KEYS})
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                out.get("metadata", {}).pop("execution", None)
                if "data" in out:
                    out["data"].pop("application/vnd.jupyter.widget-view+json", None)
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def execute(path: Path, timeout: int = 120) -> float:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    start = time.perf_counter()
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    elapsed = time.perf_counter() - start
    nbformat.write(normalize(nb), path)
    return elapsed


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    for name in argv:
        print(f"{name}: executed in {execute(Path(name)):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
