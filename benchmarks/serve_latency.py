"""Benchmark: `scalarnet serve`, from moving a slider to the page painted with the new numbers.

    python benchmarks/serve_latency.py            # about a minute; writes its section of benchmarks/RESULTS.md
    python benchmarks/serve_latency.py --print    # the table only

Run it with the Python that has scalarnet, Starlette, uvicorn and Playwright installed (the
venv's), on a machine with Chromium (/usr/bin/chromium). For each exercise the server is
started as the README says (``scalarnet serve FILE --port 0``, its address read from its
first line) and the page opened in headless Chromium at 1400 × 900 px. On each of four
frames of step 1 (the overview, a forward frame, a frame of the backward walk, an update
frame) w5's slider is moved 20 times, each time to a new value, waiting for the page to show
it before the next move; a few untimed moves come first. The page measures each change
itself (``window.scalarnetLive``): from the slider's input event to the first paint after
the new numbers are in the page (a task queued from the next animation frame), and the
server's part of it (its Server-Timing header). The table shows medians and the 90th
percentile, beside plain ``dot -Tsvg`` on the exercise's picture as the machine's yardstick,
and the machine's load average: the project's machine is shared.

The table goes to benchmarks/RESULTS.md between ``<!-- serve:begin -->`` and
``<!-- serve:end -->`` (the rest of the file belongs to benchmarks/run.py and latency.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import write_section

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- serve:begin -->", "<!-- serve:end -->"
EXERCISES = ("mazur-2-2-2", "sigmoid-2-2-2")
# (what the frame is, its place in step 1 as the page's address counts: #step=1&frame=N)
FRAMES = (("overview: the whole step", 1), ("forward pass", 5), ("backward walk", 15), ("update", 35))
CHANGES, WARMUP = 20, 3
TARGET_MS = 100.0
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
MOVE = """(value) => { const r = document.getElementById('range-w5');
  r.value = value; r.dispatchEvent(new Event('input')); }"""


def exercise_file(name: str, folder: Path) -> Path:
    """A copy of the bundled exercise (the server follows its file; the copy keeps the package's still)."""
    out = subprocess.run([sys.executable, "-c", "from scalarnet.spec.bundled import resolve; import sys; "
                          f"print(resolve({name!r}))"], capture_output=True, text=True, check=True)
    path = folder / f"{name}.toml"
    shutil.copy(out.stdout.strip(), path)
    return path


def dot_ms(path: Path, runs: int = 5) -> float:
    """Plain Graphviz on the exercise's picture (the DOT `scalarnet render` writes): the yardstick."""
    subprocess.run([sys.executable, "-m", "scalarnet", "render", str(path), "--format", "dot", "--out",
                    str(path.parent)], capture_output=True, check=True)
    source = next(path.parent.glob(f"{path.stem}*.dot")).read_bytes()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(["dot", "-Tsvg"], input=source, capture_output=True, check=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(page, url: str, frame: int) -> tuple[list[float], list[float]]:
    """(input to repaint, the server's part) of CHANGES moves of w5 on one frame, in ms."""
    page.goto("about:blank")
    page.goto(f"{url}#param=w5&step=1&frame={frame}")
    page.wait_for_function("document.body.dataset.state >= 1")
    for k in range(WARMUP + CHANGES):
        count = page.evaluate("window.scalarnetLive.latencies.length")
        page.evaluate(MOVE, f"{0.5 + 0.01 * k:.3f}")
        page.wait_for_function(f"window.scalarnetLive.latencies.length > {count}")
    latencies = page.evaluate("window.scalarnetLive.latencies")[WARMUP:]
    computed = page.evaluate("window.scalarnetLive.computed")[WARMUP:]
    return latencies, [c for c in computed if c is not None]


def p90(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=10)[-1] if len(samples) > 1 else samples[0]


def run_all() -> tuple[list[list[str]], list[float]]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    rows, medians = [], []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(60_000)
        for name in EXERCISES:
            folder = Path(tmp) / name
            folder.mkdir()
            path = exercise_file(name, folder)
            yardstick = dot_ms(path)
            server = subprocess.Popen([sys.executable, "-m", "scalarnet", "serve", str(path), "--port", "0",
                                       "--steps", "1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            try:
                url = server.stdout.readline().strip()
                for what, frame in FRAMES:
                    load = os.getloadavg()[0]
                    latencies, computed = measure(page, url, frame)
                    median = statistics.median(latencies)
                    medians.append(median)
                    rows.append([f"`{name}`", what, f"{median:.0f} ms", f"{p90(latencies):.0f} ms",
                                 f"{statistics.median(computed):.0f} ms" if computed else "–",
                                 f"{yardstick:.0f} ms", f"{median / yardstick:.1f}×", f"{load:.1f}",
                                 "holds" if median <= TARGET_MS else "MISSES"])
                    print(" | ".join(rows[-1]), file=sys.stderr)
            finally:
                server.terminate()
                server.wait(timeout=10)
        browser.close()
    return rows, medians


def section(rows: list[list[str]]) -> str:
    header = ["exercise", "frame on show", "median input → repaint", "90th percentile", "server's part (median)",
              "plain `dot -Tsvg`", "median ÷ dot", "load average", f"≤ {TARGET_MS:.0f} ms"]
    lines = [BEGIN, "## Live: `scalarnet serve`, input to repaint", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M')} by `benchmarks/serve_latency.py`: w5's slider moved "
             f"{CHANGES} times per row in headless Chromium (1400 px), each change waited for; medians. The server's "
             "part is its own time for the request; the rest is the browser's (fetch, the new SVG and table in "
             "the page, the paint). The load average (of 2 cores) is the machine's when the row ran.", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * 2 + "---:|" * 6 + "---|",
             *("| " + " | ".join(row) + " |" for row in rows), END]
    return "\n".join(lines) + "\n"



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--print", action="store_true", help="print the table only; RESULTS.md stays as it is")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="the file to write the section into")
    args = parser.parse_args(argv)
    rows, medians = run_all()
    text = section(rows)
    print(text)
    if not args.print:
        write_section(args.out, text, BEGIN, END)
        print(f"written to {args.out}", file=sys.stderr)
    print(f"median of the medians: {statistics.median(medians):.0f} ms", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
