"""``scalarnet check``: a learner's hand-written backprop against the engine.

The learner writes a function that receives a dict of every named value of one training
step (inputs, targets, parameters, the graph's nodes; one number each for a single
example, a list over the batch otherwise) and returns a dict of gradients, one per
parameter, of the batch loss. scalarnet runs the same step and compares parameter by
parameter; for the first wrong one it shows the correct derivation.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import hmac
import importlib.util
import json
import math
import numbers
import os
import secrets
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engines.record import which_examples
from ..engines.scalar import BatchGraph, Exercise, StepRecord
from ..i18n import N_, _, language
from ..spec import ExerciseSpec
from ..views.table import printable

MISSING, NOT_A_NUMBER = N_("missing"), N_("not a finite number: {value}")  # ParamCheck.problem
RTOL = 1e-6
ATOL = 1e-10
TIMEOUT = 10.0  # seconds the learner's code may take, loading and call together (--timeout)


class CheckError(ValueError):
    """The learner's function could not be loaded or called, or returned something unusable."""


@dataclass
class ParamCheck:
    expected: float
    got: float | None  # None: missing or not a number
    abs_err: float
    rel_err: float
    ok: bool
    sign_flip: bool = False
    problem: str = ""  # "missing", "not a finite number: ..." (in English: a JSON value)
    diagnosis: list[str] = field(default_factory=list)  # ids of the catalogue's mistakes that explain it

    def problem_shown(self) -> str:
        """``problem`` in the language of the report."""
        if self.problem == MISSING:
            return _(MISSING)
        prefix = NOT_A_NUMBER.split("{")[0]  # "not a finite number: "
        if self.problem.startswith(prefix):
            return _(NOT_A_NUMBER).format(value=self.problem[len(prefix):])
        return self.problem

    def to_json(self) -> dict:
        out = {"expected": self.expected, "got": self.got, "abs_err": _finite_or_none(self.abs_err),
               "rel_err": _finite_or_none(self.rel_err), "ok": self.ok}
        if self.sign_flip:
            out["sign_flip"] = True
        if self.problem:
            out["problem"] = self.problem
        else:  # a missing or unusable value has no mistake to name
            out["diagnosis"] = list(self.diagnosis)
        return out


@dataclass
class CheckResult:
    title: str
    step: int
    examples: list[int]
    params: dict[str, ParamCheck]
    extra: list[str] = field(default_factory=list)  # returned keys that are not parameters
    messages: list[str] = field(default_factory=list)  # in English, as --json gives them
    notes: list[str] = field(default_factory=list)  # the messages in the language of the report
    derivation: str = ""  # of the first wrong parameter
    derivation_json: dict | None = None
    mistakes: list[str] = field(default_factory=list)  # the diagnosis in words, one line per mistake
    mistake_lines: list[str] = field(default_factory=list)  # the same for the report
    rtol: float = RTOL
    atol: float = ATOL

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.params.values())

    def add_message(self, message: str, **fields: object) -> None:
        """A message (marked with N_): in English among --json's messages, translated in the report."""
        self.messages.append(message.format(**fields))
        self.notes.append(_(message).format(**fields))

    @property
    def wrong(self) -> list[str]:
        return [n for n, c in self.params.items() if not c.ok]

    def to_json(self) -> dict:
        out: dict[str, Any] = {"ok": self.ok, "params": {n: c.to_json() for n, c in self.params.items()},
                               "step": self.step, "examples": self.examples,
                               "tolerance": {"rtol": self.rtol, "atol": self.atol}}
        if self.extra:
            out["extra_keys"] = self.extra
        if self.messages:
            out["messages"] = self.messages
        if self.wrong:
            out["first_wrong"] = self.wrong[0]
            out["derivation"] = self.derivation_json if self.derivation_json is not None else self.derivation
        if self.mistakes:
            out["mistakes"] = self.mistakes
        return out


def load_function(target: str) -> Callable:
    """``path/to/file.py:function`` → the function."""
    path_text, sep, name = target.rpartition(":")
    if not sep or not path_text or not name:
        raise CheckError(_("--against {target!r}: expected path/to/file.py:function_name").format(target=target))
    path = Path(path_text)
    if not path.is_file():
        raise CheckError(_("--against {target!r}: {path} is not a file").format(target=target, path=path))
    module_spec = importlib.util.spec_from_file_location(f"_scalarnet_check_{path.stem}", path)
    if module_spec is None or module_spec.loader is None:
        raise CheckError(_("--against {target!r}: {path} cannot be loaded as Python (name it *.py)").format(
            target=target, path=path))
    module = importlib.util.module_from_spec(module_spec)
    try:
        with learners_code(_("{path} (while loading)").format(path=path)):
            module_spec.loader.exec_module(module)
    except SyntaxError as err:
        raise CheckError(_("{path}, line {line}: syntax error: {message}").format(
            path=path, line=err.lineno, message=err.msg)) from None
    except Exception as err:  # the learner's module failed while loading: say where
        raise CheckError(_("{path}: loading it raised {error}").format(path=path, error=_where(err, path))) from None
    function = getattr(module, name, None)
    if not callable(function):
        found = [k for k, v in vars(module).items() if callable(v) and not k.startswith("_")
                 and getattr(v, "__module__", None) == module.__name__]
        close = difflib.get_close_matches(name, found, n=1)
        raise CheckError(_("{path} has no function {name}").format(path=path, name=name)
                         + (" " + _("(did you mean {name}?)").format(name=close[0]) if close else "")
                         + (_("; its functions are {names}").format(names=", ".join(found)) if found else ""))
    return function


@contextlib.contextmanager
def learners_code(what: str) -> Iterator[None]:
    """Run the learner's code with its prints on standard error (standard output may be
    the JSON document alone) and its ``sys.exit`` turned into a message."""
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    except SystemExit as err:
        raise CheckError(_("{what} called sys.exit({code!r}); return the dict of gradients instead").format(
            what=what, code=err.code)) from None


def _where(err: BaseException, path: Path) -> str:
    """'ZeroDivisionError: division by zero (file.py, line 12: d = a / b)': the learner's
    innermost line, not scalarnet's."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename).resolve() == path.resolve()]
    where = " " + _("({file}, line {line}: {code})").format(file=path.name, line=frames[-1].lineno,
                                                            code=(frames[-1].line or "").strip()) if frames else ""
    text = str(err)
    return f"{type(err).__name__}{': ' + text if text else ''}{where}"


class Unusable:
    """A returned value that is not a finite real number, by its (shortened) repr."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def call_learner(function: Callable, values: dict, path: Path | None = None) -> Any:
    """``function(values)``, its prints on standard error; what it raises becomes a CheckError
    naming the learner's line (KeyboardInterrupt and other BaseExceptions too: the learner's
    code must not stop scalarnet)."""
    try:
        with learners_code(_("your function")):
            return function(values)
    except CheckError:
        raise
    except BaseException as err:  # noqa: B036 - the learner's code raised: report it with the learner's line
        raise CheckError(_("your function raised {error}").format(
            error=_where(err, path) if path else f"{type(err).__name__}: {err}")) from None


def gradients_of(returned: Any, params: list[str]) -> dict[str, float | Unusable]:
    """The dict the learner returned, every value a float or an ``Unusable``; anything
    that is not a dict is a CheckError saying what to return."""
    if isinstance(returned, (tuple, list)):
        example = ", ".join(f"{n!r}: ..." for n in params[:3])
        raise CheckError(_("your function returned a {type} of {n} values; return a dict from parameter name to "
                           "gradient, e.g. {example}").format(type=type(returned).__name__, n=len(returned),
                                                             example="{" + example + ", ...}"))
    if not isinstance(returned, Mapping):
        raise CheckError(_("your function returned {type} {value}; return a dict from parameter name to gradient "
                           "({names})").format(type=type(returned).__name__, value=_short_repr(returned),
                                               names=", ".join(params)))
    out: dict[str, float | Unusable] = {}
    for key, value in returned.items():
        number = value if isinstance(value, Unusable) else _as_number(value)
        out[key if isinstance(key, str) else repr(key)] = Unusable(_short_repr(value)) if number is None else number
    return out


OUTPUT_LIMIT = 1_000_000  # bytes of the learner's prints relayed; the rest is counted, not kept
ANSWER_LIMIT = 64_000_000  # bytes of the worker's standard output kept (the signed answer comes last)
NAMED_EXTRA_KEYS = 10  # extra keys named one by one (with a suggestion); the rest are counted


class LearnerProcess:
    """``path/to/file.py:function`` run in a separate Python process with a time limit: an
    endless loop (at import or in the call), an interrupt, a write to any file descriptor, a
    child process or an exit cannot hang scalarnet, reach its standard output or outlive the
    check. Called like the function; returns the dict of gradients (``gradients_of``'s form).

    The worker runs in a session (and process group) of its own, and the whole group is killed
    when the check ends, however it ends. Its answer is signed: a key made here for this call
    reaches the worker on its standard input, which it reads to the end and closes before the
    learner's file is loaded, and only the last line signed with that key is read as the
    answer (a line the learner's code writes to the answer's descriptor is not signed)."""

    def __init__(self, target: str, timeout: float = TIMEOUT) -> None:
        path_text, sep, name = target.rpartition(":")
        if not sep or not path_text or not name:
            raise CheckError(_("--against {target!r}: expected path/to/file.py:function_name").format(target=target))
        if not Path(path_text).is_file():
            raise CheckError(_("--against {target!r}: {path} is not a file").format(target=target, path=path_text))
        self.target, self.timeout = target, timeout
        self.params: list[str] = []  # the parameters' names, for the messages (check() sets them)

    def __call__(self, values: dict) -> dict[str, float | Unusable]:
        key = secrets.token_bytes(32)
        job = json.dumps({"target": self.target, "values": values, "params": self.params, "key": key.hex()})
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p),  # this process's imports
                   SCALARNET_LANG=language())  # its messages in our language
        worker = subprocess.Popen([sys.executable, "-c", "from scalarnet.teach.check import _worker; _worker()"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                  start_new_session=True)
        try:
            out, err, finished = _collect(worker, job.encode(), self.timeout)
        finally:
            _end_session(worker)
        _relay(err)
        if not finished:
            message = _("{target}: your function did not finish within {seconds} s (an endless loop?); it was "
                        "stopped. Give it longer with --timeout S") if b"loaded\n" in out else \
                _("{target}: loading the file did not finish within {seconds} s (an endless loop?); it was "
                  "stopped. Give it longer with --timeout S")
            raise CheckError(message.format(target=self.target, seconds=f"{self.timeout:g}"))
        answer = _signed_answer(out, key)
        if answer is None:
            raise CheckError(_("{target}: the check stopped without an answer (exit status {status}); does the "
                               "file end the process (os._exit, a crash)?").format(target=self.target,
                                                                                   status=worker.returncode))
        if "error" in answer:
            raise CheckError(_short_repr(str(answer["error"]), 2000, quoted=False))
        return {str(k): Unusable(str(v["unusable"])) if isinstance(v, dict) else float(v)
                for k, v in answer["gradients"].items()}


class _Output:
    """What one pipe of the worker said: its first ``limit`` bytes (``keep="head"``) or its last
    (``"tail"``), and how many bytes there were in all."""

    def __init__(self, limit: int, keep: str) -> None:
        self.data, self.limit, self.keep, self.total = bytearray(), limit, keep, 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if self.keep == "head":
            self.data += chunk[:max(0, self.limit - len(self.data))]
        else:
            self.data += chunk
            del self.data[:max(0, len(self.data) - self.limit)]


def _collect(worker: subprocess.Popen, job: bytes, timeout: float) -> tuple[bytes, bytes, bool]:
    """Feed ``job`` to the worker and read its standard output and error until it exits or
    ``timeout`` seconds pass: (output, the learner's prints, whether it exited in time). The
    worker's exit ends the wait even when a child of the learner still holds the pipes."""
    assert worker.stdin is not None and worker.stdout is not None and worker.stderr is not None
    threading.Thread(target=_feed, args=(worker.stdin, job), daemon=True).start()
    out, err = _Output(ANSWER_LIMIT, "tail"), _Output(OUTPUT_LIMIT, "head")
    pipes = {worker.stdout.fileno(): out, worker.stderr.fileno(): err}
    deadline = time.monotonic() + timeout
    finished = False
    while pipes:
        exited = worker.poll() is not None
        wait = 0.0 if exited else min(0.1, deadline - time.monotonic())
        if wait < 0:
            break
        ready, _w, _x = select.select(list(pipes), [], [], wait)
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if chunk:
                pipes[fd].add(chunk)
            else:
                del pipes[fd]
        if exited and not ready:  # it exited and nothing more is waiting: done, whoever holds the pipes
            finished = True
            break
    if not finished and not pipes:  # both pipes closed: the worker is exiting
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.wait(max(0.0, deadline - time.monotonic()))
        finished = worker.poll() is not None
    if err.total > len(err.data):
        err.data += ("\n" + _("scalarnet: [{n} more bytes of your code's output not shown]").format(
            n=f"{err.total - len(err.data):,}") + "\n").encode()
    return bytes(out.data), bytes(err.data), finished


def _feed(stdin: Any, job: bytes) -> None:
    with contextlib.suppress(OSError):  # the worker ended before reading it all
        stdin.write(job)
        stdin.close()


def _end_session(worker: subprocess.Popen) -> None:
    """Kill the worker and everything it started (its process group), and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    for pipe in (worker.stdin, worker.stdout, worker.stderr):
        with contextlib.suppress(OSError):
            if pipe is not None:
                pipe.close()


def _signature(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).hexdigest().encode()


def _signed_answer(out: bytes, key: bytes) -> dict | None:
    """The last line of ``out`` signed with ``key`` (``SIGNATURE JSON``), if its JSON is an
    answer: {"gradients": {name: number or {"unusable": text}}} or {"error": text}."""
    for line in reversed(out.splitlines()):
        signature, _sep, payload = line.partition(b" ")
        if len(signature) == 64 and hmac.compare_digest(signature, _signature(key, payload)):
            answer = json.loads(payload)
            return answer if _is_answer(answer) else None
    return None


def _is_answer(answer: Any) -> bool:
    if not isinstance(answer, dict):
        return False
    if set(answer) == {"error"}:
        return isinstance(answer["error"], str)
    grads = answer.get("gradients")
    return set(answer) == {"gradients"} and isinstance(grads, dict) and all(
        isinstance(v, float) or (isinstance(v, dict) and isinstance(v.get("unusable"), str)) for v in grads.values())


def _worker() -> None:
    """The child process of ``LearnerProcess``: read the job (and the key to sign the answer
    with) to the end, close standard input, load the file, call the function, answer on the
    original standard output; everything the learner's code writes to 1 goes to standard error."""
    answer_fd = os.dup(1)
    os.dup2(2, 1)  # the learner's print and os.write(1, ...) both land on standard error
    job = json.loads(sys.stdin.buffer.read())
    key = bytes.fromhex(job.pop("key"))
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)  # the learner's code reads nothing of the job from standard input
    answer: dict[str, Any]
    try:
        function = load_function(job["target"])
        _write_all(answer_fd, b"loaded\n")
        path = Path(job["target"].rpartition(":")[0])
        returned = call_learner(function, job.pop("values"), path)
        grads = gradients_of(returned, job["params"])
        answer = {"gradients": {k: {"unusable": repr(v)} if isinstance(v, Unusable) else v for k, v in grads.items()}}
    except CheckError as err:
        answer = {"error": str(err)}
    sys.stdout.flush()
    payload = json.dumps(answer).encode()
    # a line of its own: whatever the learner's code left unfinished on this descriptor ends first
    _write_all(answer_fd, b"\n" + _signature(key, payload) + b" " + payload + b"\n")
    os._exit(0)  # no atexit handlers of the learner's code


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _relay(stderr: bytes | None) -> None:
    """The child's standard error (the learner's prints) on ours."""
    if stderr:
        sys.stderr.write(stderr.decode("utf-8", "replace"))
        sys.stderr.flush()


def _short_repr(value: Any, limit: int = 60, quoted: bool = True) -> str:
    """The learner's value for a message: a numpy or torch scalar as the Python number it holds
    (nan, not np.float64(nan)), cut to ``limit`` characters, control characters shown as
    escapes (``quoted=False``: a string as it is, not its repr)."""
    if not quoted and isinstance(value, str):
        text = printable(value)
        return text if len(text) <= limit else text[:limit - 1] + "…"
    try:
        if not isinstance(value, (numbers.Number, str, bytes)) or type(value).__module__ != "builtins":
            value = value.item()
    except Exception:  # not a one-element array or tensor: shown as it is
        pass
    try:
        text = repr(value)
    except Exception:  # a learner's object whose repr fails
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def check(spec: ExerciseSpec, function: Callable, step: int = 1, rtol: float = RTOL, atol: float = ATOL,
          path: Path | None = None) -> CheckResult:
    """Run step ``step`` on the scalar engine, call ``function`` with its values, compare."""
    ex = Exercise(spec)
    ex.advance_to(step)
    record, batch = ex.run_step(update=False)
    if isinstance(function, LearnerProcess):  # runs elsewhere: a Ctrl-C here is scalarnet's, not the learner's
        function.params = list(record.grads)
        returned = function(record.example_values())
    else:  # a fresh dict: the function may change it
        returned = gradients_of(call_learner(function, record.example_values(), path), list(record.grads))
    result = CheckResult(spec.title, record.step, list(record.examples), {}, rtol=rtol, atol=atol)
    for name, expected in record.grads.items():
        result.params[name] = _compare(expected, returned.get(name, _MISSING), rtol, atol)
    result.extra = [k for k in returned if k not in record.grads]
    missing = [n for n, c in result.params.items() if c.problem == MISSING]
    if missing:
        result.add_message(N_("missing: {names} (return one gradient per parameter: {params})"),
                           names=", ".join(missing), params=", ".join(record.grads))
    _extra_key_messages(result, missing or list(record.grads))
    for name, c in result.params.items():
        if c.problem and c.problem != MISSING:
            result.messages.append(f"{name}: {c.problem}")
            result.notes.append(_("{name}: {problem}").format(name=name, problem=c.problem_shown()))
    if result.wrong:
        result.derivation, result.derivation_json = _derivation(ex, record, batch, result.wrong[0])
        diagnose_result(result, ex, record, batch)
    return result


_MISSING = object()


def _extra_key_messages(result: CheckResult, names: list[str]) -> None:
    """A message per extra key, with the parameter it probably meant, for the first
    NAMED_EXTRA_KEYS of them; the rest counted in one (a dict of 200,000 keys would otherwise
    cost seconds of suggestions, outside the learner's time limit)."""
    for key in result.extra[:NAMED_EXTRA_KEYS]:
        shown = _short_repr(key, quoted=False)
        close = _suggest(key, names)
        if close:
            result.add_message(N_("extra key {key!r} is not a parameter (did you mean {name}?); it is ignored"),
                               key=shown, name=close)
        else:
            result.add_message(N_("extra key {key!r} is not a parameter; it is ignored"), key=shown)
    more = len(result.extra) - NAMED_EXTRA_KEYS
    if more > 0:
        result.add_message(N_("and {n} more extra keys, none of them a parameter; they are ignored"), n=f"{more:,}")


def _suggest(key: str, names: list[str]) -> str | None:
    """The name ``key`` probably meant: the same letters in another case, else a close spelling."""
    by_case = {n.lower(): n for n in names}
    if key.lower() in by_case:
        return by_case[key.lower()]
    close = difflib.get_close_matches(key, names, n=1)
    return close[0] if close else None


def _compare(expected: float, got: Any, rtol: float, atol: float) -> ParamCheck:
    if got is _MISSING:
        return ParamCheck(expected, None, math.inf, math.inf, False, problem=MISSING)
    number = _as_number(got)
    if number is None:
        return ParamCheck(expected, None, math.inf, math.inf, False,
                          problem=NOT_A_NUMBER.format(value=_short_repr(got)))
    abs_err = abs(number - expected)
    rel_err = abs_err / abs(expected) if expected != 0.0 else (0.0 if abs_err == 0.0 else math.inf)
    ok = abs_err <= max(atol, rtol * abs(expected))
    flip = expected != 0.0 and number != 0.0 and (expected > 0) != (number > 0)
    return ParamCheck(expected, number, abs_err, rel_err, ok, sign_flip=flip)


def _as_number(value: Any) -> float | None:
    """A finite real number from a float, an int, a numpy scalar or a one-element array or
    tensor (its ``item()``); None for anything else."""
    if isinstance(value, (bool, str, bytes)) or value is None:
        return None
    if not isinstance(value, numbers.Real):
        try:
            value = value.item()  # numpy and torch raise for more than one element
        except (AttributeError, TypeError, ValueError, RuntimeError):
            return None
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return None
    try:
        number = float(value)
    except OverflowError:  # an int too big for a float
        return None
    return number if math.isfinite(number) else None


def _derivation(ex: Exercise, record: StepRecord, batch: BatchGraph, name: str) -> tuple[str, dict]:
    """The correct derivation of ``name``'s gradient, as text and JSON (from scalarnet.analysis.derive)."""
    from ..analysis.derive import StepDerivations
    from ..views import derivation

    d = StepDerivations.of_step(ex, record, batch).derive(name)
    return derivation.render(d, "text"), derivation.to_json(d)


def diagnose_result(result: CheckResult, ex: Exercise, record: StepRecord, batch: BatchGraph) -> None:
    """Name the catalogue's mistakes (scalarnet.analysis.diagnose) that reproduce the wrong gradients,
    computed from the engine's numbers of this step, within the check's tolerance."""
    from ..analysis import diagnose
    from ..analysis.derive import StepDerivations
    from ..engines.quantities import GRAD

    wrong = {GRAD + n: c.got for n, c in result.params.items() if not c.ok and c.got is not None}
    if not wrong:
        return
    if reason := diagnose.too_big(len(batch.graph.order)):
        result.messages.append(reason)
        result.notes.append(reason)
        return
    steps = StepDerivations.of_step(ex, record, batch)
    expected = {GRAD + n: c.expected for n, c in result.params.items()}
    found = diagnose.explain(wrong, expected, diagnose.catalogue(steps),
                             lambda got, x: abs(got - x) <= max(result.atol, result.rtol * abs(x)))
    for q in wrong:
        result.params[q[len(GRAD):]].diagnosis = found.ids(q)
    result.mistakes = found.texts()
    result.mistake_lines = found.lines(lambda q: q[len(GRAD):])
    if not result.mistakes:
        result.add_message(N_(
            "no mistake of the catalogue (scalarnet.analysis.diagnose) reproduces the wrong gradients"))


def report(result: CheckResult) -> str:
    """The check as a table, with the messages; the derivation goes to standard error."""
    from ..views.table import aligned_rows, number, printable, shown

    where = which_examples(result.examples) + ("" if len(result.examples) == 1
                                               else " " + _("(the gradient of the batch mean)"))
    out = [_("══ check · {title} · step {step} · {examples} ══").format(title=printable(result.title),
                                                                        step=result.step, examples=where), ""]
    rows = []
    for name, c in result.params.items():
        wrong_note = _("WRONG, sign flipped") if c.sign_flip else _("WRONG")
        note = _("ok") if c.ok else (wrong_note if not c.problem else c.problem_shown())
        rows.append([shown(name), number(c.expected), "—" if c.got is None else number(c.got),
                     "—" if c.got is None else f"{c.abs_err:.2g}", "—" if c.got is None else f"{c.rel_err:.2g}", note])
    out += aligned_rows([_("param"), _("expected"), _("got"), _("abs err"), _("rel err"), ""], rows)
    out += ["", _("tolerance: |got − expected| ≤ max({atol}, {rtol}·|expected|)").format(
        atol=f"{result.atol:g}", rtol=f"{result.rtol:g}")]
    out += [_("note: {message}").format(message=m) for m in (result.notes or result.messages)]
    out += [_("diagnosis: {mistake}").format(mistake=shown(line)) if not line.startswith(" ") else "  " + shown(line)
            for line in result.mistake_lines]
    wrong = result.wrong
    out.append("" if not wrong else _("{n} wrong: {names}; the derivation of {first} is on standard error").format(
        n=len(wrong), names=", ".join(map(shown, wrong)), first=shown(wrong[0])))
    if not wrong:
        out.append(_("all {n} gradients agree").format(n=len(result.params)))
    return "\n".join(out) + "\n"


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None

