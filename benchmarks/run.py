"""Benchmark: scalarnet against micrograd, torch and plain numpy, in one run.

    pip install -e ".[bench]"      # micrograd==0.1.0 and torch==2.13.0, for the benchmark only
    python benchmarks/run.py       # a few minutes; writes benchmarks/RESULTS.md

Contenders run interleaved (one sample of each in turn), so a slow moment of the machine
hits them all alike; the tables show medians. A sample is the mean of at least three
epochs in a row (a training loop's steady state, the garbage collector's work included)
and lasts at least about 20 ms; what garbage it leaves is collected after it, untimed.
Before timing, every contender's first epoch must give the same loss as the numpy
reference's: they all do the same arithmetic. Peers that are not installed are left out.

Like for like first: micrograd rebuilds its graph every epoch, so the rows that compare with
it rebuild theirs too (``scalarnet node-by-node, graph rebuilt each epoch``, and micrograd's
own loop on scalarnet's ``Node`` and on ``scalarnet.micrograd``). That loop runs both ways:
under Python's collector as it is (importing scalarnet leaves it alone) and inside
``scalarnet.fast_gc()``, the one-liner the README shows. micrograd runs in a process that
has imported nothing but micrograd (eager.py): no numpy, no torch, no scalarnet, whose
objects its full collections would walk; the eager scalarnet rows run in a process that
has imported only scalarnet, and, where the engine runs as its native build
(scalarnet/core/native.py), once more on its Python source. The chains (C) and the bytes
per node (D) are measured in those processes too.

Workloads: (A) the quadratic fit's 5-layer network per epoch, (B) [2,16,16,1] tanh on 100
samples per epoch, (M) micrograd's demo, (C) a chain of N nodes, build and backward,
(D) bytes per node, (E) an Iris-sized [4,100,20,3] softmax network per epoch.

benchmarks/latency.py times whole commands (render, step --html, quiz, ...) as processes
against plain Graphviz; its section of RESULTS.md, between its marker comments, is kept
when this script rewrites the file.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pickle
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # peers.py and eager.py, when run as a script

import eager  # noqa: E402
import peers  # noqa: E402

from scalarnet.core import native  # noqa: E402

HERE = Path(__file__).resolve().parent
SAMPLE_SECONDS = 0.02
MOONS_TITLE = "micrograd's demo: make_moons, MLP(2, [16, 16, 1]), max-margin loss + 1e-4·L2"

# Names of the contenders, in table order.
MICROGRAD, MICROGRAD_NO_GC = "micrograd 0.1.0 (as users run it)", "micrograd, collector off (diagnostic)"
NODE_REBUILT = "scalarnet node-by-node, graph rebuilt each epoch"
# The loop micrograd's users write (a fresh graph every epoch), on scalarnet's engine, both ways
EAGER_NODE, EAGER_VALUE = "scalarnet Node, micrograd's loop (eager)", "scalarnet.micrograd, micrograd's loop (eager)"
FAST = ", with fast_gc()"
EAGER_NODE_FAST, EAGER_VALUE_FAST = EAGER_NODE + FAST, EAGER_VALUE + FAST
EAGER_NO_GC = "scalarnet.micrograd, collector off (diagnostic)"  # how much of EAGER_VALUE is the collector's
# EAGER_NODE_FAST on node.py and graph.py run as Python (SCALARNET_PURE=1), where the others run the native build
EAGER_SOURCE = EAGER_NODE_FAST + ", engine as Python source (diagnostic)"
NODE = "scalarnet node-by-node, graph built once (scalarnet train)"
COMPILED, MATRIX, NUMPY, TORCH = "scalarnet compiled", "scalarnet matrix", "numpy reference", "torch CPU float64"
LIKE_FOR_LIKE = [NODE_REBUILT, EAGER_NODE, EAGER_NODE_FAST, EAGER_VALUE, EAGER_VALUE_FAST]
ROWS = [MICROGRAD, MICROGRAD_NO_GC, *LIKE_FOR_LIKE, EAGER_NO_GC, EAGER_SOURCE, NODE, COMPILED, MATRIX, NUMPY,
        TORCH]  # the tables' order
# (name, kind, collector, fast) of each eager contender, by the process it runs in
SCALARNET_EAGER = [(EAGER_NODE, "node", True, False), (EAGER_NODE_FAST, "node", True, True),
                   (EAGER_VALUE, "scalarnet.micrograd", True, False),
                   (EAGER_VALUE_FAST, "scalarnet.micrograd", True, True),
                   (EAGER_NO_GC, "scalarnet.micrograd", False, False)]
MICROGRAD_EAGER = [(MICROGRAD, "micrograd", True, False), (MICROGRAD_NO_GC, "micrograd", False, False)]
SOURCE_EAGER = [(EAGER_SOURCE, "node", True, True)]


def in_table_order(times: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(times.items(), key=lambda item: ROWS.index(item[0]))


# -- timing ------------------------------------------------------------------------------
Sampler = Callable[[int], float]  # repeat -> seconds per epoch over that many epochs in a row
Contender = tuple[Callable[[], float], Sampler]  # (one epoch, returning its loss; a sampler)


def interleaved(contenders: dict[str, Sampler], samples: int, min_repeat: int = 1) -> dict[str, float]:
    """Median seconds per epoch of each contender, sampled in turn. A sample is at least
    ``min_repeat`` epochs in a row (a training loop's steady state, garbage included) and
    lasts about SAMPLE_SECONDS; the garbage a sample leaves is collected after it, untimed,
    so that it does not slow down the next contender."""
    repeat = {}
    for name, sample in contenders.items():  # warm up, and size a sample
        repeat[name] = max(min_repeat, int(SAMPLE_SECONDS / max(sample(1), 1e-9)))
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for k in range(samples):
        for name in names[k % len(names):] + names[:k % len(names)]:  # a different one goes first each round
            times[name].append(contenders[name](repeat[name]))
    return {name: statistics.median(t) for name, t in times.items()}


class EagerProcess:
    """eager.py in a process of its own, started with ``env`` added to this one's (SCALARNET_PURE=1:
    the engine as Python source); requests and answers pickled on its stdin and stdout."""

    def __init__(self, env: dict[str, str], contenders: list[tuple[str, str, bool, bool]]) -> None:
        self.contenders = contenders
        self.process = subprocess.Popen([sys.executable, str(HERE / "eager.py")], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env={**os.environ, **env})

    def ask(self, *request: object) -> object:
        pickle.dump(request, self.process.stdin)
        self.process.stdin.flush()
        return pickle.load(self.process.stdout)

    def made(self, key: str, workload: dict) -> dict[str, Contender]:
        """This process's contenders on ``workload`` (``key``: its letter), those it can run."""
        out = {}
        for name, kind, collector, fast in self.contenders:
            if self.ask("make", f"{key}:{name}", workload, kind, collector, fast):
                out[name] = ((lambda n=f"{key}:{name}": self.ask("once", n)),
                             (lambda repeat, n=f"{key}:{name}": self.ask("sample", n, repeat)))
        return out

    def close(self) -> None:
        pickle.dump(("stop",), self.process.stdin)
        self.process.stdin.close()
        self.process.wait()


PROCESSES: dict[str, EagerProcess] = {}  # "micrograd", "scalarnet", "source"


def has_micrograd() -> bool:
    return importlib.util.find_spec("micrograd") is not None


def process_contenders(key: str, workload: dict) -> dict[str, Contender]:
    """The eager contenders of every process on ``workload``."""
    return {name: c for process in PROCESSES.values() for name, c in process.made(key, workload).items()}


def local(run: Callable[[], float]) -> Contender:
    return run, lambda repeat: eager.time_sample(run, repeat)


def timed(contenders: dict[str, Contender], reference: str, samples: int) -> dict[str, float]:
    """Check that every contender computes the reference's loss, then time them, interleaved."""
    check_same_loss({name: once for name, (once, _) in contenders.items()}, reference)
    return interleaved({name: sample for name, (_, sample) in contenders.items()}, samples, min_repeat=3)


def check_same_loss(epochs: dict[str, Callable[[], float]], reference: str) -> None:
    """Every contender's first epoch gives the reference's loss (they compute the same thing)."""
    losses = {name: run() for name, run in epochs.items()}
    for name, loss in losses.items():
        if abs(loss - losses[reference]) > 1e-9 * max(1.0, abs(losses[reference])):
            raise SystemExit(f"benchmark: {name} computed loss {loss!r}, {reference} {losses[reference]!r}")


def epoch_contenders(w: peers.Workload, eager_loops: bool) -> dict[str, Contender]:
    made = {
        NODE: peers.scalarnet_epoch(w),
        NODE_REBUILT: peers.scalarnet_epoch(w, rebuild=True),
        COMPILED: peers.compiled_epoch(w),
        MATRIX: peers.matrix_epoch(w),
        NUMPY: peers.numpy_epoch(w),
        TORCH: peers.torch_epoch(w),
    }
    mine = {name: local(run) for name, run in made.items() if run is not None}
    return {**(process_contenders(w.key, w.plain()) if eager_loops else {}), **mine}


def per_epoch(w: peers.Workload, samples: int, eager_loops: bool = True) -> dict[str, float]:
    return timed(epoch_contenders(w, eager_loops), NUMPY, samples)


def moons(samples: int) -> dict[str, float]:
    """(M) micrograd's demo, one training step per epoch, on micrograd and on scalarnet."""
    try:
        from sklearn.datasets import make_moons
    except ImportError:
        return {}
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1337)
    contenders = process_contenders("M", {"moons": (X.tolist(), (y * 2 - 1).tolist())})
    return timed(contenders, EAGER_VALUE, samples) if EAGER_VALUE in contenders else {}


# -- (C) chain and (D) memory, in the eager processes --------------------------------------------
def chains(sizes: list[int], samples: int, micrograd_max: int) -> list[tuple[int, str, float, float | str, float]]:
    """(N, engine, build, backward or why it failed, processor time): scalarnet both ways, micrograd."""
    makers = [("scalarnet", "scalarnet", "node", False), ("scalarnet, with fast_gc()", "scalarnet", "node", True)]
    if "micrograd" in PROCESSES:
        makers.append(("micrograd", "micrograd", "micrograd", False))
    rows = []
    for n in sizes:
        for name, process, kind, fast in makers:
            if kind == "micrograd" and n > micrograd_max:
                rows.append((n, name, float("nan"), f"not run (about {n * 700 // 2**20} MB)", float("nan")))
                continue
            runs = [PROCESSES[process].ask("chain", kind, n, fast) for _ in range(samples)]
            failed = [b for _, b, _ in runs if isinstance(b, str)]
            backward = failed[0] if failed else statistics.median(b for _, b, _ in runs)
            rows.append((n, name, statistics.median(b for b, _, _ in runs), backward,
                         statistics.median(c for *_, c in runs)))
    return rows


def memory(n: int = 100_000) -> dict[str, float]:
    out = {"scalarnet": PROCESSES["scalarnet"].ask("bytes", "node", n)}
    if "micrograd" in PROCESSES:
        out["micrograd"] = PROCESSES["micrograd"].ask("bytes", "micrograd", n)
    return out


# -- report ------------------------------------------------------------------------------
def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    engine = "native build (mypyc)" if native.ACTIVE else f"Python source ({native.REASON})"
    return (f"{cpu}, {os.cpu_count()} cores · {platform.system()} · Python {platform.python_version()} · "
            f"numpy {version('numpy')} · torch {version('torch')} · micrograd {version('micrograd')} · "
            f"scalarnet's engine: {engine}")


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms" if seconds < 1.0 else f"{seconds:.2f} s"


def ratios_table(title: str, times: dict[str, float], references: list[str], per: str = "epoch",
                 names: list[str] | None = None) -> list[str]:
    """One row per engine (``names``: these only): its median and how many times faster than each
    reference it is, with its time against numpy's where numpy ran."""
    references = [r for r in references if r in times]
    numpy = NUMPY in times
    lines = [title, "", f"| engine | median per {per} | " + " | ".join(f"{r} ÷ engine" for r in references)
             + (" | engine ÷ numpy |" if numpy else " |"), "|---|---:|" + "---:|" * (len(references) + numpy)]
    for name, t in in_table_order(times):
        if names is None or name in names:
            cells = [f"{times[r] / t:.1f}×" for r in references] + ([f"{t / times[NUMPY]:.1f}×"] if numpy else [])
            lines.append(f"| {name} | {ms(t)} | " + " | ".join(cells) + " |")
    return lines + [""]


def report(results: dict) -> tuple[str, list[tuple[str, bool | None]]]:
    lines = ["# scalarnet benchmark", "", f"Machine: {results['machine']}", "",
             "Medians of interleaved samples; `A ÷ engine` is how many times faster than A the engine is. "
             f"micrograd ran in a process that had loaded {', '.join(results['modules']['micrograd']) or '—'}; "
             f"the eager scalarnet rows in one that had loaded {', '.join(results['modules']['scalarnet'])}.", ""]
    A, B, E, M = results["A"], results["B"], results["E"], results.get("M", {})
    work = results["workloads"]
    references = [MICROGRAD, MICROGRAD_NO_GC]
    lines += ["## Like for like: a new graph every epoch, as micrograd's users train", ""]
    for key, times in (("A", A), ("B", B)):
        lines += ratios_table(f"### ({key}) {work[key].title}", times, references, names=LIKE_FOR_LIKE + references)
    if M:
        lines += ratios_table(f"### (M) {MOONS_TITLE}", M, references, per="training step",
                              names=LIKE_FOR_LIKE + references)
    lines += ["## Every engine", ""]
    lines += ratios_table(f"### (A) {work['A'].title}, per epoch", A, references)
    lines += ratios_table(f"### (B) {work['B'].title}, per epoch", B, references)
    if M:
        lines += ratios_table(f"### (M) {MOONS_TITLE}, per training step", M, references, per="training step")
    lines += ["### (C) a chain of N nodes (y = y + x, N times): build and backward", "",
              "| N | engine | build | backward | total | processor time |", "|---:|---|---:|---:|---:|---:|"]
    for n, name, build, backward, cpu in results["C"]:
        if isinstance(backward, str):
            ran = build == build  # not nan
            lines.append(f"| {n:,} | {name} | {ms(build) if ran else '—'} | {backward} | {'fails' if ran else '—'} "
                         f"| {ms(cpu) if ran else '—'} |")
        else:
            lines.append(f"| {n:,} | {name} | {ms(build)} | {ms(backward)} | {ms(build + backward)} | {ms(cpu)} |")
    lines += ["", "### (D) memory per node (tracemalloc, a chain of 100,000 nodes)", "",
              "| engine | bytes per node |", "|---|---:|"]
    lines += [f"| {name} | {b:.0f} |" for name, b in results["D"].items()]
    lines += [""] + ratios_table(f"### (E) {work['E'].title}, per epoch", E, [TORCH])
    return "\n".join(lines) + "\n", targets(results)


def targets(results: dict) -> list[tuple[str, bool | None]]:
    A, B, M = results["A"], results["B"], results.get("M", {})
    checks: list[tuple[str, bool | None]] = []

    def check(text: str, ok: bool | None) -> None:
        checks.append((text, ok))

    check(f"micrograd's process loaded none of numpy, torch, scalarnet: {results['modules']['micrograd']}",
          set(results["modules"]["micrograd"]) <= {"micrograd"})
    for key, times in (("A", A), ("B", B), ("M", M)):
        for name in (EAGER_NODE_FAST, EAGER_VALUE_FAST) if MICROGRAD in times else ():
            check(f"({key}) {name} ≥ 20× faster than micrograd as users run it: "
                  f"{times[MICROGRAD] / times[name]:.1f}×", times[MICROGRAD] >= 20 * times[name])
            check(f"({key}) {name} ≥ 2× faster than micrograd with its collector off: "
                  f"{times[MICROGRAD_NO_GC] / times[name]:.1f}×", times[MICROGRAD_NO_GC] >= 2 * times[name])
    check(f"(A) compiled within 10× of the numpy matrix version: {A[COMPILED] / A[NUMPY]:.1f}×",
          A[COMPILED] <= 10 * A[NUMPY])
    biggest = max(n for n, *_ in results["C"])
    big = next((b, bw) for n, name, b, bw, _ in results["C"] if n == biggest and name == "scalarnet")
    check(f"(C) a chain of {biggest:,} nodes builds and back-propagates in < 3 s: {ms(big[0] + big[1])}",
          big[0] + big[1] < 3.0)
    D, E = results["D"], results["E"]
    if "micrograd" in D:
        check(f"(D) ≤ 1/3 of micrograd's bytes per node: {D['scalarnet'] / D['micrograd']:.2f}",
              3 * D["scalarnet"] <= D["micrograd"])
    if MATRIX in E and TORCH in E:
        check(f"(E) matrix engine at least as fast as torch CPU: torch ÷ matrix = {E[TORCH] / E[MATRIX]:.2f}×",
              E[MATRIX] <= E[TORCH])
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=15, help="samples per contender (default 15)")
    parser.add_argument("--chain", type=int, default=1_000_000, help="the longest chain (default 10^6)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="where to write the Markdown table")
    args = parser.parse_args(argv)

    if has_micrograd():
        PROCESSES["micrograd"] = EagerProcess({}, MICROGRAD_EAGER)
    PROCESSES["scalarnet"] = EagerProcess({}, SCALARNET_EAGER)
    if native.ACTIVE:
        PROCESSES["source"] = EagerProcess({"SCALARNET_PURE": "1"}, SOURCE_EAGER)
    work = peers.workloads()
    results: dict = {"machine": machine(), "workloads": work}
    print(f"Machine: {results['machine']}", file=sys.stderr)
    print(f"(A) {work['A'].title} …", file=sys.stderr)
    results["A"] = per_epoch(work["A"], args.samples)
    print(f"(B) {work['B'].title} …", file=sys.stderr)  # micrograd takes over a second an epoch here
    results["B"] = per_epoch(work["B"], max(3, args.samples // 3))
    print("(M) micrograd's demo …", file=sys.stderr)
    results["M"] = moons(max(3, args.samples // 3))
    print("(C) chains …", file=sys.stderr)
    sizes = [n for n in (100, 1_000, 10_000, 100_000, 1_000_000) if n < args.chain] + [args.chain]
    results["C"] = chains(sizes, samples=3, micrograd_max=100_000)
    print("(D) memory …", file=sys.stderr)
    results["D"] = memory()
    print(f"(E) {work['E'].title} …", file=sys.stderr)
    results["E"] = per_epoch(work["E"], max(3, args.samples // 3), eager_loops=False)
    results["modules"] = {name: p.ask("modules") for name, p in PROCESSES.items()}
    results["modules"].setdefault("micrograd", [])
    for process in PROCESSES.values():
        process.close()

    text, checks = report(results)
    text += "\n## Targets\n\n" + "".join(f"- {'holds' if ok else 'MISSES'}: {t}\n" for t, ok in checks)
    print(text)
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    begin, end = old.find("<!-- latency:begin -->"), old.find("<!-- latency:end -->")
    if 0 <= begin < end:  # benchmarks/latency.py's section stays
        text += "\n" + old[begin:end + len("<!-- latency:end -->")] + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
