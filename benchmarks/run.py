"""Benchmark: scalarnet against micrograd, torch and plain numpy, in one run.

    pip install -e ".[bench]"      # micrograd==0.1.0 and torch==2.13.0, for the benchmark only
    python benchmarks/run.py       # a few minutes; writes benchmarks/RESULTS.md

Contenders run interleaved (one sample of each in turn), so a slow moment of the machine
hits them all alike; the tables show medians. A sample is the mean of at least three
epochs in a row (a training loop's steady state, the garbage collector's work included)
and lasts at least about 20 ms; what garbage it leaves is collected after it, untimed.
Before timing, every contender's first epoch must give the same loss as the numpy
reference's: they all do the same arithmetic. Peers that are not installed are left out.

micrograd runs in a process of its own (``PeerProcess``), still interleaved with the
others: importing scalarnet raises the garbage collector's threshold for the whole process
(scalarnet/node.py says why), and micrograd is measured under Python's own settings. Where
the engine runs as its native build (scalarnet/native.py), a second process runs the eager
loop on the engine's Python source too, for comparison.

Workloads: (A) the seeds' 5-layer network per epoch, (B) [2,16,16,1] tanh on 100
samples per epoch, (C) a chain of N nodes, build and backward, (D) bytes per node,
(E) an Iris-sized [4,100,20,3] softmax network per epoch.

benchmarks/latency.py times whole commands (render, step --html, quiz, ...) as processes
against plain Graphviz; its section of RESULTS.md, between its marker comments, is kept
when this script rewrites the file.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # peers.py, when run as a script

import peers  # noqa: E402

from scalarnet.core import native  # noqa: E402
from scalarnet.core.node import PYTHON_GC_THRESHOLD, Node  # noqa: E402

HERE = Path(__file__).resolve().parent
SAMPLE_SECONDS = 0.02

# Names of the contenders, in table order.
MICROGRAD, MICROGRAD_NO_GC = "micrograd 0.1.0 (as users run it)", "micrograd, collector off (diagnostic)"
NODE, NODE_REBUILT = "scalarnet node-by-node", "scalarnet node-by-node, graph rebuilt each epoch"
# The loop micrograd's users write (a fresh graph every epoch), on scalarnet's engine
EAGER_NODE, EAGER_VALUE = "scalarnet Node, micrograd's loop (eager)", "scalarnet.micrograd, micrograd's loop (eager)"
EAGER = {EAGER_NODE: "node", EAGER_VALUE: "scalarnet.micrograd"}
EAGER_NO_GC = "scalarnet.micrograd, collector off (diagnostic)"  # how much of EAGER_VALUE is the collector's
# EAGER_NODE on node.py and graph.py run as Python (SCALARNET_PURE=1), where the others run the native build
EAGER_SOURCE = "scalarnet Node, micrograd's loop (eager), engine as Python source (diagnostic)"
COMPILED, MATRIX, NUMPY, TORCH = "scalarnet compiled", "scalarnet matrix", "numpy reference", "torch CPU float64"
ROWS = [MICROGRAD, MICROGRAD_NO_GC, NODE, NODE_REBUILT, EAGER_NODE, EAGER_VALUE, EAGER_NO_GC, EAGER_SOURCE, COMPILED,
        MATRIX, NUMPY, TORCH]  # the tables' order


def in_table_order(times: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(times.items(), key=lambda item: ROWS.index(item[0]))


# -- timing ------------------------------------------------------------------------------
Sampler = Callable[[int], float]  # repeat -> seconds per epoch over that many epochs in a row


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


class PeerProcess:
    """Contenders run in a process of their own (``peers.serve``), started with ``env``: the
    settings that hold for a whole process, micrograd's collector (SCALARNET_GC=default,
    Python's own settings: scalarnet's import changes them for its process) or the engine
    run as Python source (SCALARNET_PURE=1)."""

    def __init__(self, env: dict[str, str]) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        before = {name: os.environ.get(name) for name in env}
        os.environ.update(env)  # inherited by the child when it starts
        try:
            self.process = context.Process(target=peers.serve, args=(child,), daemon=True)
            self.process.start()
        finally:
            for name, value in before.items():
                if value is None:
                    del os.environ[name]
                else:
                    os.environ[name] = value

    def ask(self, *request: object) -> object:
        self.conn.send(request)
        return self.conn.recv()

    def contender(self, name: str, key: str, kind: str,
                  collector: bool = True) -> tuple[Callable[[], float], Sampler] | None:
        """(one epoch, returning its loss; a sampler) of engine ``kind`` on workload ``key``."""
        if not self.ask("make", name, key, collector, kind):
            return None
        return (lambda: self.ask("once", name)), (lambda repeat: self.ask("sample", name, repeat))

    def close(self) -> None:
        self.conn.send(("stop",))
        self.process.join()


MICROGRAD_PROCESS: PeerProcess | None = None
SOURCE_PROCESS: PeerProcess | None = None  # scalarnet's engine as Python, when the native build runs here


def process_contenders(key: str) -> dict[str, tuple[Callable[[], float], Sampler]]:
    """micrograd as users run it and with its collector off, on workload ``key`` ("M": the
    demo), and scalarnet's eager loop on the engine's Python source."""
    made = {}
    if peers.micrograd_value() is not None and MICROGRAD_PROCESS is not None:
        made.update({name: MICROGRAD_PROCESS.contender(name, key, "micrograd", collector)
                     for name, collector in ((MICROGRAD, True), (MICROGRAD_NO_GC, False))})
    if SOURCE_PROCESS is not None:
        made[EAGER_SOURCE] = SOURCE_PROCESS.contender(EAGER_SOURCE, key, "node")
    return {name: pair for name, pair in made.items() if pair is not None}


def local(run: Callable[[], float]) -> tuple[Callable[[], float], Sampler]:
    return run, lambda repeat: peers.time_sample(run, repeat)


def timed(contenders: dict[str, tuple[Callable[[], float], Sampler]], reference: str, samples: int) -> dict[str, float]:
    """Check that every contender computes the reference's loss, then time them, interleaved."""
    check_same_loss({name: once for name, (once, _) in contenders.items()}, reference)
    return interleaved({name: sample for name, (_, sample) in contenders.items()}, samples, min_repeat=3)


def check_same_loss(epochs: dict[str, Callable[[], float]], reference: str) -> None:
    """Every contender's first epoch gives the reference's loss (they compute the same thing)."""
    losses = {name: run() for name, run in epochs.items()}
    for name, loss in losses.items():
        if abs(loss - losses[reference]) > 1e-9 * max(1.0, abs(losses[reference])):
            raise SystemExit(f"benchmark: {name} computed loss {loss!r}, {reference} {losses[reference]!r}")


def epoch_contenders(w: peers.Workload, micrograd: bool) -> dict[str, tuple[Callable[[], float], Sampler]]:
    made = {
        NODE: peers.scalarnet_epoch(w),
        NODE_REBUILT: peers.scalarnet_epoch(w, rebuild=True),
        **{name: peers.micrograd_epoch(w, kind=kind) for name, kind in EAGER.items()},
        EAGER_NO_GC: peers.micrograd_epoch(w, collector=False, kind="scalarnet.micrograd"),
        COMPILED: peers.compiled_epoch(w),
        MATRIX: peers.matrix_epoch(w),
        NUMPY: peers.numpy_epoch(w),
        TORCH: peers.torch_epoch(w),
    }
    mine = {name: local(run) for name, run in made.items() if run is not None}
    return {**(process_contenders(w.key) if micrograd else {}), **mine}


def per_epoch(w: peers.Workload, samples: int, micrograd: bool = True) -> dict[str, float]:
    return timed(epoch_contenders(w, micrograd), NUMPY, samples)


def moons(samples: int) -> dict[str, float]:
    """(M) micrograd's demo, one training step per epoch, on micrograd and on scalarnet."""
    made = {**{name: peers.moons_epoch(kind) for name, kind in EAGER.items()},
            EAGER_NO_GC: peers.moons_epoch("scalarnet.micrograd", collector=False)}
    mine = {name: local(run) for name, run in made.items() if run is not None}
    if not mine:
        return {}
    return timed({**process_contenders("M"), **mine}, EAGER_VALUE, samples)


# -- (C) chain and (D) memory --------------------------------------------------------------
def scalarnet_chain(n: int) -> Node:
    x = Node(0.5, name="x")
    y = x
    for _ in range(n):
        y = y + x
    return y


def micrograd_chain(n: int):
    """micrograd's chain, built under Python's own collector settings (not scalarnet's)."""
    Value = peers.micrograd_value()
    scalarnet_threshold = gc.get_threshold()
    gc.set_threshold(*PYTHON_GC_THRESHOLD)
    try:
        x = Value(0.5)
        y = x
        for _ in range(n):
            y = y + x
        return y
    finally:
        gc.set_threshold(*scalarnet_threshold)


def chain_times(make: Callable[[int], object], n: int) -> tuple[float, float | str, float]:
    """(build seconds, backward seconds or why it failed, processor seconds of both)."""
    gc.collect()
    cpu, start = time.process_time(), time.perf_counter()
    root = make(n)
    built = time.perf_counter()
    try:
        root.backward()
    except RecursionError:
        return built - start, "RecursionError", time.process_time() - cpu
    return built - start, time.perf_counter() - built, time.process_time() - cpu


def chains(sizes: list[int], samples: int, micrograd_max: int) -> list[tuple[int, str, float, float | str, float]]:
    rows = []
    makers = {"scalarnet": scalarnet_chain}
    if peers.micrograd_value() is not None:
        makers["micrograd"] = micrograd_chain
    for n in sizes:
        for name, make in makers.items():
            if name == "micrograd" and n > micrograd_max:
                rows.append((n, name, float("nan"), f"not run (about {n * 700 // 2**20} MB)", float("nan")))
                continue
            runs = [chain_times(make, n) for _ in range(samples)]
            failed = [b for _, b, _ in runs if isinstance(b, str)]
            backward = failed[0] if failed else statistics.median(b for _, b, _ in runs)
            rows.append((n, name, statistics.median(b for b, _, _ in runs), backward,
                         statistics.median(c for *_, c in runs)))
    return rows


def bytes_per_node(make: Callable[[int], object], n: int = 100_000) -> float:
    gc.collect()
    tracemalloc.start()
    root = make(n)
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del root
    return size / n


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


def epoch_table(w: peers.Workload, times: dict[str, float], reference: str) -> list[str]:
    """One row per engine; with micrograd, also how many times faster than micrograd with its
    collector off each engine is (the eager targets' second bar)."""
    second = [MICROGRAD_NO_GC] if reference == MICROGRAD and MICROGRAD_NO_GC in times else []
    lines = [f"### ({w.key}) {w.title}, per epoch", "",
             f"| engine | median per epoch | {' | '.join(f'{r} ÷ engine' for r in [reference, *second])} "
             "| engine ÷ numpy |", "|---|---:|---:|" + "---:|" * len(second) + "---:|"]
    for name, t in in_table_order(times):
        ratios = " | ".join(f"{times[r] / t:.1f}×" for r in [reference, *second])
        lines.append(f"| {name} | {ms(t)} | {ratios} | {t / times[NUMPY]:.1f}× |")
    return lines + [""]


def report(results: dict) -> tuple[str, list[tuple[str, bool | None]]]:
    lines = ["# scalarnet benchmark", "", f"Machine: {results['machine']}", "",
             "Medians of interleaved samples; `A ÷ engine` is how many times faster than A the engine is.", ""]
    A, B, E = results["A"], results["B"], results["E"]
    lines += epoch_table(results["workloads"]["A"], A, MICROGRAD if MICROGRAD in A else NUMPY)
    lines += epoch_table(results["workloads"]["B"], B, MICROGRAD if MICROGRAD in B else NUMPY)
    M = results.get("M", {})
    if M:
        lines += [f"### (M) {peers.MOONS_TITLE}, per training step", "",
                  f"| engine | median per step | {MICROGRAD} ÷ engine | {MICROGRAD_NO_GC} ÷ engine |",
                  "|---|---:|---:|---:|"]
        lines += [f"| {name} | {ms(t)} | {M[MICROGRAD] / t:.1f}× | {M[MICROGRAD_NO_GC] / t:.1f}× |"
                  for name, t in in_table_order(M)] if MICROGRAD in M else [f"| {name} | {ms(t)} | — | — |"
                                                                           for name, t in in_table_order(M)]
        lines.append("")
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
    lines += [""] + epoch_table(results["workloads"]["E"], E, TORCH if TORCH in E else NUMPY)

    checks: list[tuple[str, bool | None]] = []

    def check(text: str, ok: bool | None) -> None:
        checks.append((text, ok))

    if MICROGRAD in A:
        check(f"(A) node-by-node ≥ 10× faster than micrograd: {A[MICROGRAD] / A[NODE]:.1f}×",
              A[MICROGRAD] >= 10 * A[NODE])
        check(f"(A) node-by-node ≥ 2× faster than micrograd with its collector off: "
              f"{A[MICROGRAD_NO_GC] / A[NODE]:.1f}×", A[MICROGRAD_NO_GC] >= 2 * A[NODE])
    for key, times in (("A", A), ("B", B), ("M", M)):
        for name in EAGER if MICROGRAD in times else ():
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
    D = results["D"]
    if "micrograd" in D:
        check(f"(D) ≤ 1/3 of micrograd's bytes per node: {D['scalarnet'] / D['micrograd']:.2f}",
              3 * D["scalarnet"] <= D["micrograd"])
    if MATRIX in E and TORCH in E:
        check(f"(E) matrix engine at least as fast as torch CPU: torch ÷ matrix = {E[TORCH] / E[MATRIX]:.2f}×",
              E[MATRIX] <= E[TORCH])
    lines += ["## Targets", ""] + [f"- {'holds' if ok else 'MISSES'}: {text}" for text, ok in checks]
    return "\n".join(lines) + "\n", checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=15, help="samples per contender (default 15)")
    parser.add_argument("--chain", type=int, default=1_000_000, help="the longest chain (default 10^6)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="where to write the Markdown table")
    args = parser.parse_args(argv)

    global MICROGRAD_PROCESS, SOURCE_PROCESS
    if peers.micrograd_value() is not None:
        MICROGRAD_PROCESS = PeerProcess({"SCALARNET_GC": "default"})
    if native.ACTIVE:
        SOURCE_PROCESS = PeerProcess({"SCALARNET_PURE": "1"})
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
    results["D"] = {"scalarnet": bytes_per_node(scalarnet_chain)}
    if peers.micrograd_value() is not None:
        results["D"]["micrograd"] = bytes_per_node(micrograd_chain)
    print(f"(E) {work['E'].title} …", file=sys.stderr)
    results["E"] = per_epoch(work["E"], max(3, args.samples // 3), micrograd=False)
    for process in (MICROGRAD_PROCESS, SOURCE_PROCESS):
        if process is not None:
            process.close()

    text, checks = report(results)
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
