"""Time tools/grade.py on a synthetic class: N students x chapters 1-6, half full solutions, half blank.

Usage: python benchmarks/grade_class.py [--students 20] [--jobs 2] [--keep DIR]

The even-numbered students hand in the chapters themselves (every exercise solved), the odd ones
the student versions (every exercise "not attempted"). Prints the wall-clock time, the time per
notebook, and the time 100 students x 6 chapters would take at that rate; checks that every
solution passed and every blank was "not attempted".
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="build the class here and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="grade-class-"))
    chapters = sorted((ROOT / "chapters").glob("0[1-6]_*.ipynb"))
    blank = work / "blank"
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "student_version.py"), "--out", str(blank), *map(str, chapters)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subs = work / "submissions"
    subs.mkdir(parents=True, exist_ok=True)
    for s in range(1, args.students + 1):
        for chapter in chapters:
            origin = chapter if s % 2 == 0 else blank / chapter.name
            shutil.copy(origin, subs / f"{chapter.name[:2]}-s{s:03d}.ipynb")
    n = args.students * len(chapters)
    out = work / "grades.csv"
    cmd = [sys.executable, str(ROOT / "tools" / "grade.py"), str(subs), "--out", str(out), "--jobs", str(args.jobs)]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    with out.open() as f:
        rows = list(csv.DictReader(f))
    by_kind = Counter((int(r["student"].split("-s")[1]) % 2, r["status"]) for r in rows)
    assert set(by_kind) == {(0, "passed"), (1, "not attempted")}, by_kind
    print(f"{n} notebooks, {args.jobs} jobs: {wall:.1f} s, {wall / n:.2f} s per notebook")
    print(f"100 students x 6 chapters at this rate: {600 * wall / n / 60:.1f} min")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
