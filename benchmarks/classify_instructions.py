"""Instructions per classified posting, this working tree against a git revision.

    python benchmarks/classify_instructions.py [--rev HEAD] [--n 300]
        [--real-texts ../shared/eval/sector_dev.jsonl]

Wall-clock time on a shared 2-core machine varies by 20% or more between runs, too much to
see a change of a few percent. The number of instructions the CPU executes does not vary:
this script counts them under valgrind's cachegrind (Debian package `valgrind`), once with
`--n` postings classified and once with none, and reports the difference per posting, for
this tree and for `--rev` (checked out in a temporary git worktree), side by side.

A proxy, not a timing: work moved into SIMD-heavy C code (Hyperscan) needs fewer
instructions for the same time. Confirm a gain it shows by timing both versions
alternately in one process, or side by side with matcher_bench.py.

Postings are real ones cycled from `--real-texts` when given (as matcher_bench.py does),
else the synthetic ones of benchmarks/synthetic.py. Each count takes about a minute.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run by valgrind in a fresh interpreter: import, fit and compile (counted in both runs, so
# they cancel out), a warm-up batch, then the measured batch.
CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
n, texts_path = int(sys.argv[2]), sys.argv[3]
from matcher import PostingAnalyzer
if texts_path:
    from benchmarks.matcher_bench import real_texts
    texts = real_texts(Path(texts_path), max(n, 50) + 50)
else:
    from benchmarks import synthetic
    from benchmarks.matcher_bench import posting_texts
    texts = posting_texts(synthetic.postings(max(n, 50) + 50))
analyzer = PostingAnalyzer().fit()
analyzer.use_prefilters()  # as on batches of 20,000 postings or more
analyzer.analyze_many(texts[:50])
if n:
    analyzer.analyze_many(texts[50 : 50 + n])
"""


def instructions(root: Path, n: int, texts: str, script: Path) -> int:
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
           sys.executable, str(script), str(root), str(n), texts]  # fmt: skip
    # A fixed hash seed (string hashes steer dict probing and set order) and no BLAS
    # threads (they spin while waiting for work): either made counts of the same code on
    # the same input differ by a few percent.
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1"}  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=root, env=env)
    m = re.search(r"I\s+refs:\s+([\d,]+)", proc.stderr)
    if proc.returncode != 0 or not m:
        raise SystemExit(f"valgrind failed in {root}:\n{proc.stderr[-1500:]}")
    return int(m.group(1).replace(",", ""))


def per_posting(root: Path, n: int, texts: str, script: Path) -> float:
    # The two counts are independent: run them at once (instruction counts do not care).
    with ThreadPoolExecutor(2) as pool:
        base, full = pool.map(lambda k: instructions(root, k, texts, script), (0, n))
    return (full - base) / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="HEAD", help="git revision to compare with")
    parser.add_argument("--n", type=int, default=300, help="postings classified per count")
    parser.add_argument("--real-texts", type=Path, help="JSONL of real postings to cycle")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    if args.n < 1:
        parser.error("--n must be at least 1")
    texts = str(args.real_texts.resolve()) if args.real_texts else ""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "child.py"
        script.write_text(CHILD)
        worktree = Path(tmp) / "rev"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(worktree), args.rev],
                       cwd=ROOT, check=True)  # fmt: skip
        try:
            old = per_posting(worktree, args.n, texts, script)
            new = per_posting(ROOT, args.n, texts, script)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT)
    kind = f"real postings from {args.real_texts}" if texts else "synthetic postings"
    print(f"instructions per classified posting ({args.n} {kind}):")
    print(f"  {args.rev:<12} {old / 1e6:8.3f} M")
    print(f"  {'working tree':<12} {new / 1e6:8.3f} M   ({new / old - 1:+.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
