"""``scalarnet quiz``: N variants of an exercise with new numbers, a question sheet and an
answer key each, and one class summary.

Variant k draws its numbers from ``numpy.random.default_rng([seed, k])``, so it is the same
whatever N is. Each given number (param, input, target) is drawn uniformly from its
``[vary]`` range and rounded to 2 decimals, as textbooks print them; without ``[vary]``,
params come from [−1, 1] and inputs and targets from [0, 1]. A drawn value that rounds to 0
is drawn again (a zero weight or input silences a path, and the question with it).

DIR/variant-01/ holds ``exercise.toml`` (the variant as an exercise file: every scalarnet
command runs it), ``sheet.md`` with the network picture and the questions, ``key.md`` with
the answers and the worked derivation, and ``sheet.tex``/``key.tex`` (and their PDFs when
pdflatex is installed). DIR/summary.csv and DIR/summary.json list every variant's numbers
and answers; DIR/answers-template.csv is the CSV ``scalarnet grade`` reads.
"""

from __future__ import annotations

import csv
import difflib
import functools
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tomli_w

from ..analysis.derive import StepDerivations, Symbols, delta_form, formula_of
from ..core import symbolic
from ..core.nn import parameter_names
from ..engines.quantities import GRAD, NEW, default_asked, describe, step_quantities
from ..engines.record import ExerciseError, StepRecord
from ..engines.scalar import Exercise
from ..i18n import N_, _
from ..spec import ExerciseSpec, NetworkSpec, SpecError, load
from ..spec.bundled import resolve
from ..views import derivation
from ..views.derivation import markdown_text
from ..views.render import write_atomic
from ..views.table import number, one_line, shown
from ..views.typography import partial

DECIMALS = 2
PARAM_RANGE = (-1.0, 1.0)
DATA_RANGE = (0.0, 1.0)  # inputs and targets
ATTEMPTS = 100  # draws per variant before giving up on a range that only gives zeros or overflows
# More variants than a class of any size needs. Each takes about a second and a quarter of a MB
# (with its PDFs): the 1,000,000 once accepted were nine days of work and 220 GB of files.
MAX_VARIANTS = 1000
MANIFEST = "manifest.json"  # what a quiz folder holds; `grade` reads only the variants it lists
# what a quiz writes at the top of its folder (with variant-NN/): a folder holding any is a quiz
QUIZ_ENTRIES = (MANIFEST, "summary.json", "summary.csv", "answers-template.csv", "grades")


class QuizError(ValueError):
    """The exercise cannot be made into a quiz; the message says why and what to do."""


@dataclass
class Variant:
    id: int
    folder: Path
    given: dict[str, float]
    answers: dict[str, float]  # the asked quantities
    files: dict[str, Path] = field(default_factory=dict)  # exercise, sheet, key, and the rest

    def to_json(self) -> dict:
        return {"id": self.id, "exercise": str(self.files["exercise"]), "sheet": str(self.files["sheet"]),
                "key": str(self.files["key"])}

    def moved(self, staging: Path, out: Path) -> Variant:
        """The variant with its paths in ``out``, where it was made in ``staging``."""
        def there(path: Path) -> Path:
            return out / path.relative_to(staging)

        return Variant(self.id, there(self.folder), self.given, self.answers,
                       {kind: there(path) for kind, path in self.files.items()})


# -- drawing the numbers -------------------------------------------------------------------
def ranges(spec: ExerciseSpec) -> dict[str, tuple[float, float]]:
    """The range of every given number: [vary] where it says, the defaults elsewhere."""
    out = {name: PARAM_RANGE for name in spec.params}
    out.update({name: DATA_RANGE for table in (spec.inputs, spec.targets) for name in table})
    out.update(spec.vary)
    return out


def draw(spec: ExerciseSpec, seed: int, variant: int) -> dict[str, float]:
    """The given numbers of one variant, rounded; deterministic in (seed, variant)."""
    rng = np.random.default_rng([seed, variant])
    decimals = DECIMALS if spec.vary_decimals is None else spec.vary_decimals
    out = {}
    for name, (low, high) in ranges(spec).items():
        for _attempt in range(ATTEMPTS):
            value = round(float(rng.uniform(low, high)), decimals) + 0.0
            if value != 0.0 or low == high == 0.0:
                break
        out[name] = value
    return out


def exercise_toml(spec: ExerciseSpec, given: dict[str, float], title: str, description: str = "") -> str:
    """The exercise file of a variant: the source's graph or network and training, the drawn numbers.
    Written by a TOML writer, so any name (α, 权重) and any title (😀) reads back as it was."""
    doc: dict = {"title": title}
    if description:
        doc["description"] = description
    if spec.network is None:
        doc["params"] = {name: given.get(name, v) for name, v in spec.params.items()}
    for section, table in (("inputs", spec.inputs), ("targets", spec.targets)):
        doc[section] = {name: given.get(name, values[0]) for name, values in table.items()}
    if spec.network is None:
        assert spec.formulas is not None
        doc["graph"] = dict(spec.formulas)
    else:
        doc["network"] = _network_table(spec.network, given)
    t = spec.train
    train: dict = {"loss": spec.loss_name} if spec.network is None else {}
    train.update(learning_rate=t.learning_rate, batch=t.batch if t.batch is not None else "full", epochs=t.epochs)
    if t.trainable is not None:
        train["trainable"] = list(t.trainable)
    if t.momentum:
        train["momentum"] = t.momentum
    doc["train"] = train
    return tomli_w.dumps(doc)


def _network_table(net: NetworkSpec, given: dict[str, float]) -> dict:
    """A [network] table with explicit weights and biases: each entry the drawn value of the
    parameter it belongs to (a shared name gives every entry of it the same value)."""
    weights, biases = net.matrices()
    w_out, b_out = [], []
    for layer, (w, b) in enumerate(zip(weights, biases), start=1):
        w_names, b_names = parameter_names(net.names, layer, *w.shape)
        w_out.append([[given.get(w_names[i][j], float(w[i, j])) for j in range(w.shape[1])]
                      for i in range(w.shape[0])])
        if b is not None:
            b_out.append([given.get(b_names[j], float(b[j])) for j in range(len(b))])
    out: dict = {"sizes": list(net.sizes), "hidden": net.hidden, "output": net.output, "bias": net.bias,
                 "loss": net.loss, "weights": w_out}
    if net.bias:
        out["biases"] = b_out
    if net.names:
        out["names"] = dict(net.names)
    if net.units:
        out["units"] = net.units
    return out


def check_quizzable(spec: ExerciseSpec) -> None:
    if spec.data_source or spec.n_examples != 1:
        raise QuizError(f"{spec.path}: " + _("a quiz variant is one example worked by hand; this file has {n} "
                                             "examples. Give [inputs] and [targets] one number each").format(
            n=spec.n_examples))


def check_asked(asked: list[str], record: StepRecord) -> None:
    known = step_quantities(record)
    for q in asked:
        if q not in known:
            close = difflib.get_close_matches(q, list(known), n=1)
            hint = _(" (did you mean {name}?)").format(name=close[0]) if close else ""
            raise QuizError(f"--ask {q}: " + _("not a quantity of this exercise{hint}; name a node or param for its "
                                               "value (out_o1, E), grad:w1 for a gradient, new:w1 for a weight "
                                               "after the update").format(hint=hint))


# -- writing -----------------------------------------------------------------------------------
def make(source: str | Path, variants: int, out: str | Path, seed: int = 0, asked: list[str] | None = None,
         pdf: bool = True, force: bool = False, fit: str | None = None) -> list[Variant]:
    """Write the variants, the class summary, the answer template and the manifest into ``out``.

    The quiz is made in a folder beside ``out`` and moved in when it is complete, the manifest
    last: an interrupted quiz leaves nothing behind, and a folder holding another quiz is
    refused (``force``: replaced whole, its grades with it). ``fit``: the pictures' canvas shape
    (``slide``, ``a4``, ``WxH``)."""
    if not 1 <= variants <= MAX_VARIANTS:
        raise QuizError(_("--variants {n}: give 1 to {limit} (each variant takes about a second and a quarter of "
                          "a MB; a class needs far fewer)").format(n=short_number(variants), limit=MAX_VARIANTS))
    _check_fit(fit)
    path = resolve(source)
    spec = load(path)
    check_quizzable(spec)
    out = Path(out)
    old = quiz_entries(out)
    if old and not force:
        raise QuizError(f"{out}: " + _("holds a quiz already ({entries}); give another --out, or --force to replace "
                                       "it (its grades too)").format(entries=", ".join(e.name for e in old[:3])))
    staging = _staging_folder(out)
    try:
        made = _write_variants(spec, variants, seed, asked, pdf, staging, fit)
        final = [v.moved(staging, out) for v in made]
        asked = list(made[0].answers)
        _summary(staging, out, spec, seed, asked, final)
        write_manifest(staging, spec, seed, asked, final)
        _move_in(staging, out, old)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def short_number(n: int | str) -> str:
    """A number for a message, cut when it is long (a 5000-digit --variants)."""
    text = n if isinstance(n, str) else str(n)
    return text if len(text) <= 12 else text[:6] + "…" + _("({digits} digits)").format(digits=len(text))


def quiz_entries(out: Path) -> list[Path]:
    """What a quiz wrote at the top of ``out`` (the manifest first), or [] for a folder without one."""
    if not out.exists():
        return []
    if not out.is_dir():
        raise QuizError(f"{out}: " + _("is a file; --out names the folder to write the quiz into"))
    found = [e for e in out.iterdir() if e.name in QUIZ_ENTRIES or re.fullmatch(r"variant-\d+", e.name)]
    return sorted(found, key=lambda e: (e.name != MANIFEST, e.name))


def _staging_folder(out: Path) -> Path:
    """A new folder beside ``out`` (the same file system, so moving out of it is a rename)."""
    where = out.resolve()
    where.parent.mkdir(parents=True, exist_ok=True)
    staging = where.parent / f".{where.name}.quiz-{secrets.token_hex(4)}"
    staging.mkdir()
    return staging


def _move_in(staging: Path, out: Path, old: list[Path]) -> None:
    """The finished quiz into ``out``: one rename for a new folder; into an existing one, the old
    quiz out first (its manifest first) and the new one in, its manifest last, so that at no
    moment does a manifest list variants that are not there."""
    if not out.exists():
        os.rename(staging, out)
        return
    trash = staging.with_name(staging.name + "-old")
    trash.mkdir()
    try:
        for entry in old:
            os.rename(entry, trash / entry.name)
        for entry in sorted(staging.iterdir(), key=lambda e: e.name == MANIFEST):
            os.rename(entry, out / entry.name)
    finally:
        shutil.rmtree(trash, ignore_errors=True)


def _write_variants(spec: ExerciseSpec, variants: int, seed: int, asked: list[str] | None, pdf: bool,
                    folder: Path, fit: str | None = None) -> list[Variant]:
    width = max(2, len(str(variants)))
    drawn = [_draw_variant(spec, k, seed, folder / f"variant-{k:0{width}d}") for k in range(1, variants + 1)]
    pictures = _pictures(drawn, fit)
    made: list[Variant] = []
    for (exercise, given, record, steps), picture in zip(drawn, pictures):
        made.append(_variant(len(made) + 1, exercise, given, record, steps, picture, asked))
        asked = asked or list(made[0].answers)  # the first variant's defaults for all
    if pdf and shutil.which("pdflatex"):
        _typeset(made)
    return made


def _typeset(made: list[Variant]) -> None:
    """The PDFs of every sheet and key (those in Chinese where pdflatex here can set Chinese),
    one pdflatex per core at a time: they are most of a quiz's time."""
    from concurrent.futures import ThreadPoolExecutor

    no_chinese, jobs = [], []
    for v in made:
        for kind in ("sheet", "key"):
            tex = v.files[f"{kind}_tex"]
            if _needs_cjk(tex.read_text(encoding="utf-8")) and cjk_package() is None:
                no_chinese.append(tex)
            else:
                jobs.append((v, kind, tex))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for (v, kind, _tex), pdf_path in zip(jobs, pool.map(lambda job: _pdflatex(job[2]), jobs)):
            if pdf_path is not None:
                v.files[f"{kind}_pdf"] = pdf_path
    if no_chinese:
        print("scalarnet: " + _("note: no PDFs for the {n} .tex files with Chinese text: pdflatex here lacks "
                                "the CJKutf8 package or its Chinese fonts (Debian and Ubuntu: apt-get install "
                                "latex-cjk-chinese; TeX Live: tlmgr install collection-langchinese); the "
                                ".tex files are written").format(n=len(no_chinese)), file=sys.stderr)


def _record(path: Path) -> tuple[StepRecord, StepDerivations]:
    """Step 1 of an exercise file: the record (after the update) and its derivations."""
    ex = Exercise.load(path)
    steps = StepDerivations.at(ex, 1)
    return steps.record, steps


def _draw_variant(spec: ExerciseSpec, k: int, seed: int, folder: Path) -> tuple[Path, dict[str, float], StepRecord,
                                                                                StepDerivations]:
    """Variant ``k``'s numbers, its exercise file, and its step 1 (drawn again where it does not run)."""
    title = _("{title} · variant {k}").format(title=spec.title, k=k)
    exercise = folder / "exercise.toml"
    for attempt in range(ATTEMPTS):
        given = draw(spec, seed if attempt == 0 else seed + 7919 * attempt, k)
        text = exercise_toml(spec, given, title, _("Variant {k} of {path}, drawn by scalarnet quiz with seed "
                                                   "{seed}.").format(k=k, path=spec.path, seed=seed))
        write_atomic(exercise, text.encode("utf-8"))
        try:
            record, steps = _record(exercise)
            return exercise, given, record, steps
        except (ExerciseError, SpecError) as err:  # overflow, log of a negative: draw again
            last = err
    raise QuizError(f"{spec.path}: " + _("variant {k}: none of {n} draws from the [vary] ranges ran (the last "
                                         "one: {error}); narrow the ranges").format(k=k, n=ATTEMPTS, error=last))


def _variant(k: int, exercise: Path, given: dict[str, float], record: StepRecord, steps: StepDerivations,
             picture: dict[str, Path], asked: list[str] | None) -> Variant:
    """Variant ``k``'s answers, question sheet and answer key, beside its exercise file and picture."""
    folder = exercise.parent
    asked = asked or default_asked(record)
    check_asked(asked, record)
    answers = {q: step_quantities(record)[q] for q in asked}
    v = Variant(k, folder, given, answers, {"exercise": exercise})
    v.files.update(picture)
    sheet_md, key_md, sheet_tex, key_tex = (folder / n for n in ("sheet.md", "key.md", "sheet.tex", "key.tex"))
    write_atomic(sheet_md, sheet_markdown(steps, v, asked, picture).encode("utf-8"))
    write_atomic(key_md, key_markdown(steps, v, asked).encode("utf-8"))
    write_atomic(sheet_tex, sheet_latex(steps, v, asked, picture).encode("utf-8"))
    write_atomic(key_tex, key_latex(steps, v, asked).encode("utf-8"))
    v.files.update(sheet=sheet_md, key=key_md, sheet_tex=sheet_tex, key_tex=key_tex)
    return v


def _check_fit(fit: str | None) -> None:
    """A ``--fit`` that names no shape, refused before any variant is drawn."""
    from ..views.diagram import DiagramError, frame_of

    try:
        frame_of(fit)
    except DiagramError as err:
        raise QuizError(str(err)) from None


def _pictures(drawn: list[tuple[Path, dict[str, float], StepRecord, StepDerivations]],
              fit: str | None = None) -> list[dict[str, Path]]:
    """Every variant's network picture with the given numbers only (the computed values are
    hidden), all in one layout sized for the widest numbers of any variant (every variant has
    the same boxes and arrows), rendered to SVG and PNG in one go per format; where nothing
    renders, the DOT sources are written instead."""
    from ..views.diagram import NotRendered, pictures, save_all, sizing, subject_of

    subjects = [subject_of(exercise, step=1) for exercise, *_rest in drawn]
    shared = [sizing(s, level="neuron") for s in subjects]
    pinned = pictures(subjects[0], phase="forward", level="neuron", size_with=shared, fit=fit)[0].layout
    graphs = []
    for subject, (exercise, given, _record, steps) in zip(subjects, drawn):
        graph = pictures(subject, phase="forward", level="neuron", pinned=pinned)[0].graph
        computed = {name for name, _ in formula_exprs(steps)}
        if computed and not hide_values(graph, computed, {name.replace("_", "") for name in given}):
            print("scalarnet: " + _("note: {file} may show computed values (no node of the picture was recognised "
                                    "to hide them); look at it before handing the sheet out").format(
                file=exercise.parent / "network.svg"), file=sys.stderr)
        graphs.append(graph)
    out: list[dict[str, Path]] = [{} for _ in drawn]
    for fmt in ("svg", "png"):
        try:
            paths = save_all(graphs, [exercise.parent / "network" for exercise, *_rest in drawn], fmt)
        except NotRendered as err:
            for files, dot in zip(out, err.written):
                files["picture_dot"] = dot
            break
        for files, path in zip(out, paths):
            files[f"picture_{fmt}"] = path
    return out


# a label line "name = number" or "name = formula = number" (after a line break \n or \l, or the opening quote)
# (numbers as pictures write them: the true minus sign, 3.64 × 10⁻⁵)
_VALUE = re.compile(r'(\\[ln]|")([^\s=\\"]+) = ((?:[^\\"=]+ = )?)([−-]?\d[\d.]*(?:e[-+]?\d+| × 10⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)?)')
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def hide_values(graph, computed: set[str], given: set[str]) -> int:
    """In the picture's labels, the numbers of the computed nodes become '?' and the given
    ones stay (a neuron's label also shows its bias). A node statement carries the node's name
    as its tooltip; a label line names what it shows, with subscript digits."""
    def mask(m: re.Match) -> str:
        name = m[2].translate(_SUBSCRIPTS).replace("_", "")
        return m[0] if name in given else f"{m[1]}{m[2]} = {m[3]}?"

    hidden = 0
    for k, line in enumerate(graph.body):
        m = re.search(r'tooltip="?([^"\s\]]+)"?', line)
        if m and m[1] in computed:
            graph.body[k] = _VALUE.sub(mask, line)
            hidden += 1
    return hidden


# -- the sheet and the key -------------------------------------------------------------------
def formula_exprs(steps: StepDerivations) -> list[tuple[str, symbolic.Expr]]:
    """(name, formula) of each [graph] node as an expression in the names above it."""
    slot, symbols = steps.batch.slots[0], Symbols()
    return [(name, formula_of(node, symbols)) for name, node in slot.items() if node.op is not None]


def formula_lines(steps: StepDerivations) -> list[tuple[str, str]]:
    """(name, formula) of each [graph] node, written as a textbook does (σ, superscripts, names as every
    view writes them: views/typography.py); the name as in the file."""
    return [(name, symbolic.text(expr, shown)) for name, expr in formula_exprs(steps)]


def _given_rows(steps: StepDerivations, v: Variant) -> list[tuple[str, str, str]]:
    ex = steps.exercise
    rows = [(name, _(ROLES.get(ex.role(name), ex.role(name))), number(value)) for name, value in v.given.items()]
    rows.append(("η", _("learning rate"), number(ex.learning_rate)))
    return rows


ROLES = {"param": N_("param"), "input": N_("input"), "target": N_("target")}  # what a given number is


def _header(*words: str) -> list[str]:
    """A table's header in the current language."""
    return [_(w) for w in words]


def _run_one_step(eta: str) -> str:
    return _("Run one training step (forward, backward, update with learning rate {eta}) and give, to at least 3 "
             "significant figures:").format(eta=eta)


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |"
                                                                             for r in rows]


def sheet_markdown(steps: StepDerivations, v: Variant, asked: list[str], picture: dict[str, Path]) -> str:
    loss = steps.exercise.loss_name
    out = [f"# {markdown_text(steps.exercise.title)}", "", "## " + _("The network"), ""]
    if "picture_svg" in picture:
        out += [f"![{_('the network with the given numbers')}]({picture['picture_svg'].name})", ""]
    elif "picture_dot" in picture:
        out += [_("The picture's Graphviz source is {file} (render it with {command}).").format(
            file=f"`{picture['picture_dot'].name}`", command=f"`dot -Tsvg {picture['picture_dot'].name}`"), ""]
    out += ["## " + _("Given"), ""] + _md_table(_header(N_("name"), N_("what"), N_("value")),
                                                 [[shown(n), *r] for n, *r in _given_rows(steps, v)])
    out += ["", "## " + _("The formulas"), ""] + [f"- {shown(name)} = {text}" for name, text in formula_lines(steps)]
    out += ["", "## " + _("Questions"), "", _run_one_step("η"), ""]
    out += [_("{k}. {what} ({quantity}) = ________").format(k=k, what=shown(describe(q, loss)), quantity=f"`{q}`")
            for k, q in enumerate(asked, start=1)]
    out += ["", _("Hand in each answer as a CSV row {row}, e.g. {example}.").format(
        row="`student,variant,quantity,value`", example=f"`s01,{v.id},{asked[0]},0.123`"), ""]
    return "\n".join(out)


def _update_line(name: str, record: StepRecord, lr: float, latex: bool) -> str:
    before, g, after = record.values[name][0], record.grads[name], record.params[name]
    if latex:
        n = derivation.latex_name(name)
        return (rf"{n}^{{+}} &= {n} - \eta \cdot \frac{{\partial {derivation.latex_name(record.loss_name)}}}"
                rf"{{\partial {n}}} = {derivation.latex_number(before)} - {derivation.latex_number(lr)} \cdot "
                rf"{_paren(derivation.latex_number(g))} = {derivation.latex_number(after)}")
    w = shown(name)
    return (f"{w}⁺ = {w} − η·{partial(record.loss_name, name)} = {number(before)} − {number(lr)}·"
            f"{_paren(number(g))} = {number(after)}")


def _paren(text: str) -> str:
    """A negative number in a product, bracketed: 1·(−0.0157) (LaTeX's minus is -, the text's −)."""
    return f"({text})" if text.startswith(("-", "−")) else text


def key_markdown(steps: StepDerivations, v: Variant, asked: list[str]) -> str:
    ex, record = steps.exercise, steps.record
    loss = ex.loss_name
    out = ["# " + _("Answer key · {title}").format(title=markdown_text(ex.title)), "", "## " + _("Answers"), ""]
    out += _md_table(_header(N_("quantity"), N_("what"), N_("answer")), [[f"`{q}`", shown(describe(q, loss)), number(a)]
                                                              for q, a in v.answers.items()])
    out += ["", "## " + _("Given"), ""] + _md_table(_header(N_("name"), N_("what"), N_("value")),
                                                     [[shown(n), *r] for n, *r in _given_rows(steps, v)])
    out += ["", "## " + _("Forward pass"), ""]
    values = {n: vals[0] for n, vals in record.values.items()}
    out += [f"- {shown(name)} = {text} = {number(values[name])}" for name, text in formula_lines(steps)]
    out += ["", _("The loss: {loss} = {value}").format(loss=loss, value=number(record.loss)), "",
            "## " + _("Backward pass"), ""]
    for name in ex.trainable:
        out.append(derivation.markdown(steps.derive(name), heading="###"))
    out += ["## " + _("The same in the delta form"), "", _DELTA_INTRO().replace("∂E", f"∂{loss}"), "",
            "$$", r"\begin{aligned}", " \\\\\n".join(_deltas(steps)), r"\end{aligned}", "$$", ""]
    out += ["## " + _("Update"), "", _("With learning rate η = {lr}:").format(lr=number(ex.learning_rate)), ""]
    out += [f"- {_update_line(name, record, ex.learning_rate, latex=False)}" for name in ex.trainable]
    return "\n".join(out) + "\n"


def _DELTA_INTRO() -> str:  # noqa: N802 - a message
    return _("δ = ∂E/∂net of each neuron, from the loss down; then each gradient is a δ times the input its weight "
             "multiplies.")


def _deltas(steps: StepDerivations) -> list[str]:
    forms = [delta_form(steps, name) for name in steps.exercise.trainable]
    return derivation.deltas_together(forms, steps.record.values)


# -- LaTeX ---------------------------------------------------------------------------------------
_PREAMBLE = [r"\documentclass[11pt]{article}", r"\usepackage[utf8]{inputenc}", r"\usepackage{amsmath,amssymb}",
             r"\usepackage{graphicx}", r"\usepackage[margin=2cm]{geometry}",
             r"\allowdisplaybreaks"]  # a long derivation continues on the next page
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")  # Chinese characters and punctuation


def _needs_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


@functools.cache
def cjk_package() -> str | None:
    """"CJKutf8" when pdflatex here can typeset the sheets' Chinese: the package and the Song
    font it is given (gbsn, Arphic's: Debian's latex-cjk-chinese brings both); else None. (ctex is
    no way round it: under pdflatex it loads CJKutf8 itself, and wants fonts of its own.)"""
    kpsewhich = shutil.which("kpsewhich")
    if kpsewhich is None:
        return None
    found = subprocess.run([kpsewhich, "CJKutf8.sty", "c70gbsn.fd"], capture_output=True, text=True, timeout=30)
    return "CJKutf8" if len(found.stdout.split()) == 2 else None


def _latex_document(body: list[str]) -> str:
    """A whole LaTeX document for pdflatex; one with Chinese text is set in CJKutf8's Song
    (gbsn), also when it is not installed here: the .tex is for a machine that has it."""
    if not _needs_cjk("\n".join(body)):
        return "\n".join([*_PREAMBLE, r"\begin{document}", *body, r"\end{document}", ""])
    return "\n".join([*_PREAMBLE, r"\usepackage{CJKutf8}", r"\begin{document}", r"\begin{CJK}{UTF8}{gbsn}", *body,
                      r"\end{CJK}", r"\end{document}", ""])


def _tex_text(text: str) -> str:
    """Plain words for LaTeX text mode, on one line (a blank line would end a \\section*{…}'s
    argument), control characters shown as escapes."""
    text = one_line(text)
    return re.sub(r"([\\{}_^#$%&~])", lambda m: r"\textbackslash{}" if m[1] == "\\" else "\\" + m[1], text)


def _tex_quantity(q: str, loss: str) -> str:
    if q.startswith(GRAD):
        return rf"$\partial {derivation.latex_name(loss)} / \partial {derivation.latex_name(q[len(GRAD):])}$"
    if q.startswith(NEW):
        return _("{name} after the update").format(name=f"${derivation.latex_name(q[len(NEW):])}$")
    return f"${derivation.latex_name(q)}$"


def _tex_given(steps: StepDerivations, v: Variant) -> list[str]:
    rows = [rf"${derivation.latex_name(n)}$ & {_tex_text(role)} & ${derivation.latex_number(v.given[n])}$ \\"
            for n, role, _ in _given_rows(steps, v)[:-1]]
    rows.append(rf"$\eta$ & {_tex_text(_('learning rate'))} & "
                rf"${derivation.latex_number(steps.exercise.learning_rate)}$ \\")
    return [r"\begin{tabular}{llr}", _tex_header(N_("name"), N_("what"), N_("value")), *rows, r"\end{tabular}"]


def _tex_header(*words: str) -> str:
    return " & ".join(_tex_text(w) for w in _header(*words)) + r" \\ \hline"


def _tex_formulas(steps: StepDerivations, values: bool = False) -> list[str]:
    """The formulas in LaTeX, each with its value at the step when ``values``."""
    rows = []
    for name, expr in formula_exprs(steps):
        value = f" = {derivation.latex_number(steps.record.values[name][0])}" if values else ""
        rows.append(rf"{derivation.latex_name(name)} &= {symbolic.latex(expr, derivation.latex_name)}{value}")
    return [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]


def sheet_latex(steps: StepDerivations, v: Variant, asked: list[str], picture: dict[str, Path]) -> str:
    loss = steps.exercise.loss_name
    out = [rf"\section*{{{_tex_text(steps.exercise.title)}}}"]
    if "picture_png" in picture:
        out += [r"\begin{center}", rf"\includegraphics[width=\textwidth]{{{picture['picture_png'].name}}}",
                r"\end{center}"]
    elif "picture_dot" in picture:
        out.append(_tex_format(_("The picture's Graphviz source is {file}."),
                               file=rf"\texttt{{{_tex_text(picture['picture_dot'].name)}}}"))
    out += [_tex_section("Given"), *_tex_given(steps, v), _tex_section("The formulas"), *_tex_formulas(steps),
            _tex_section("Questions"), _tex_text(_run_one_step("η")).replace("η", r"$\eta$"), r"\begin{enumerate}"]
    out += [rf"\item {_tex_quantity(q, loss)} (\texttt{{{_tex_text(q)}}}) $= \underline{{\hspace{{4cm}}}}$"
            for q in asked]
    out.append(r"\end{enumerate}")
    return _latex_document(out)


def _tex_format(message: str, **latex: str) -> str:
    """A translated ``message`` as LaTeX text, its placeholders filled with the LaTeX ``latex``."""
    return "".join(_tex_text(text) + (latex[name] if name is not None else "")
                   for text, name, _format, _conversion in string.Formatter().parse(message))


def _tex_section(title: str, level: str = "subsection") -> str:
    """A numberless (sub)section heading, its title translated."""
    return rf"\{level}*{{{_tex_text(_(title))}}}"


def key_latex(steps: StepDerivations, v: Variant, asked: list[str]) -> str:
    ex, record = steps.exercise, steps.record
    loss = ex.loss_name
    out = [rf"\section*{{{_tex_text(_('Answer key: {title}').format(title=ex.title))}}}", _tex_section("Answers"),
           r"\begin{tabular}{llr}", _tex_header(N_("quantity"), N_("what"), N_("answer"))]
    out += [rf"\texttt{{{_tex_text(q)}}} & {_tex_quantity(q, loss)} & ${derivation.latex_number(a)}$ \\"
            for q, a in v.answers.items()]
    out += [r"\end{tabular}", _tex_section("Given"), *_tex_given(steps, v), _tex_section("Forward pass"),
            *_tex_formulas(steps, values=True), _tex_section("Backward pass")]
    for name in ex.trainable:
        heading = rf"$\partial {derivation.latex_name(loss)} / \partial {derivation.latex_name(name)}$"
        out += [rf"\subsubsection*{{{heading}}}", derivation.latex(steps.derive(name))]
    out += [_tex_section("The same in the delta form"), r"\begin{align*}", " \\\\\n".join(_deltas(steps)),
            r"\end{align*}"]
    out += [_tex_section("Update"), r"\begin{align*}",
            " \\\\\n".join(_update_line(n, record, ex.learning_rate, latex=True) for n in ex.trainable),
            r"\end{align*}"]
    return _latex_document(out)


def _pdflatex(tex: Path) -> Path | None:
    """The PDF of ``tex`` next to it, or None (with the log's first error on standard error)."""
    with tempfile.TemporaryDirectory() as tmp:
        for f in tex.parent.glob("*.png"):
            shutil.copy(f, tmp)
        shutil.copy(tex, tmp)
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name], cwd=tmp,
                             capture_output=True, text=True, timeout=120)
        made = Path(tmp) / tex.with_suffix(".pdf").name
        if run.returncode != 0 or not made.is_file():
            error = next((line for line in run.stdout.splitlines() if line.startswith("!")), _("see the .tex"))
            print("scalarnet: " + _("pdflatex could not typeset {file} ({error}); the .tex is there").format(
                file=tex, error=error), file=sys.stderr)
            return None
        write_atomic(tex.with_suffix(".pdf"), made.read_bytes())
    return tex.with_suffix(".pdf")


# -- the class summary ------------------------------------------------------------------------------
def _summary(staging: Path, out: Path, spec: ExerciseSpec, seed: int, asked: list[str],
             made: list[Variant]) -> None:
    """summary.json, summary.csv and answers-template.csv, written into ``staging``; the paths
    they name are those in ``out``."""
    given = list(made[0].given)
    doc = {"source": spec.path, "title": spec.title, "seed": seed, "asked": asked,
           "variants": [{**v.to_json(), "given": v.given, "answers": v.answers,
                         "files": {k: str(p) for k, p in v.files.items()}} for v in made]}
    write_atomic(staging / "summary.json", (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
    table = io.StringIO()
    w = csv.writer(table, lineterminator="\n")
    w.writerow(["variant", *given, *asked])
    for v in made:
        w.writerow([v.id, *(repr(v.given[n]) for n in given), *(repr(v.answers[q]) for q in asked)])
    write_atomic(staging / "summary.csv", table.getvalue().encode("utf-8"))
    template = io.StringIO()
    w = csv.writer(template, lineterminator="\n")
    w.writerow(["student", "variant", "quantity", "value"])
    for v in made:
        for q in asked:
            w.writerow(["", v.id, q, ""])
    write_atomic(staging / "answers-template.csv", template.getvalue().encode("utf-8"))


def write_manifest(staging: Path, spec: ExerciseSpec, seed: int, asked: list[str], made: list[Variant]) -> None:
    """manifest.json: every variant's folder and exercise file (with its SHA-256) and every file
    of the quiz, relative to its folder. `grade` reads only the variants listed here."""
    files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
    doc = {"scalarnet": "quiz", "version": 1, "source": spec.path, "seed": seed, "asked": asked,
           "variants": [{"id": v.id, "folder": v.folder.name, "exercise": f"{v.folder.name}/exercise.toml",
                         "sha256": file_digest(staging / v.folder.name / "exercise.toml")} for v in made],
           "files": [*files, MANIFEST]}
    write_atomic(staging / MANIFEST, (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
