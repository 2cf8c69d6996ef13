"""Benchmark: issue 23's wide networks, each command as a whole process, one run each.

    python benchmarks/scale.py          # about two minutes on a quiet machine; prints the table

Each command must either finish or refuse in one line naming its estimate, within LIMIT
seconds (the round's corpus gave them 60 s): a row over it, or one ending in a traceback,
makes the script exit 1. [1, 100000, 1] has 300,001 parameters (under the million cap) and
about 800,000 scalar nodes an example; [1, 2000, 1] is the widest the issue timed derive
--all and compare on. The unit tests count these commands' work instead of timing them
(tests/test_scale.py); this is where their speed is measured.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT = 60.0
WIDE = ('[inputs]\nx = 0.5\n[targets]\ny = 0.2\n[network]\nsizes = [1, {n}, 1]\nhidden = "sigmoid"\n'
        'output = "linear"\ninit = {{ seed = 0, scale = 0.1 }}\n')
COMMANDS = [("step", 100_000, []), ("step", 100_000, ["--json"]), ("step", 100_000, ["--html", "v.html"]),
            ("render", 100_000, []), ("derive", 100_000, []), ("derive", 100_000, ["--all"]),
            ("compare", 100_000, []), ("derive", 2_000, ["--all"]), ("compare", 2_000, [])]


def main() -> int:
    slow = 0
    print(f"{'command':<42} {'seconds':>8}  {'exit':>4}  outcome")
    with tempfile.TemporaryDirectory() as tmp:
        for command, n, extra in COMMANDS:
            path = Path(tmp) / f"wide{n}.toml"
            path.write_text(WIDE.format(n=n))
            argv = [sys.executable, "-m", "scalarnet", command, str(path), *extra]
            start = time.perf_counter()
            done = subprocess.run(argv, cwd=tmp, capture_output=True, text=True, timeout=10 * LIMIT)
            seconds = time.perf_counter() - start
            lines = done.stderr.strip().splitlines()
            outcome = "finished" if done.returncode in (0, 1) else (lines[-1][:90] if lines else "")
            bad = seconds > LIMIT or "Traceback" in done.stderr
            slow += bad
            shown = f"{command} [1,{n},1] {' '.join(extra)}".strip()
            print(f"{shown:<42} {seconds:8.1f}  {done.returncode:>4}  {'OVER: ' if bad else ''}{outcome}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
