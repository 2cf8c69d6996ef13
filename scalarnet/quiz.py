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
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import symbolic
from .bundled import resolve
from .derive import StepDerivations, Symbols, delta_form, formula_of
from .engine import ExerciseError, StepRecord
from .exercise import Exercise
from .nn import parameter_names
from .quantities import GRAD, NEW, default_asked, describe, step_quantities
from .spec import ExerciseSpec, NetworkSpec, SpecError, load
from .views import derivation
from .views.render import write_atomic
from .views.table import number

DECIMALS = 2
PARAM_RANGE = (-1.0, 1.0)
DATA_RANGE = (0.0, 1.0)  # inputs and targets
ATTEMPTS = 100  # draws per variant before giving up on a range that only gives zeros or overflows


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
    """The exercise file of a variant: the source's graph or network and training, the drawn numbers."""
    q = json.dumps  # a JSON string (or list of them) is a TOML basic string (or array)
    out = [f"title = {q(title)}", ""]
    if description:
        out += [f'description = {q(description)}', ""]
    if spec.network is None:
        out.append("[params]")
        out += [f"{name} = {given.get(name, v)!r}" for name, v in spec.params.items()]
    for section, table in (("inputs", spec.inputs), ("targets", spec.targets)):
        out += ["", f"[{section}]"]
        out += [f"{name} = {given.get(name, values[0])!r}" for name, values in table.items()]
    if spec.network is None:
        assert spec.formulas is not None
        out += ["", "[graph]"] + [f"{name} = {q(text)}" for name, text in spec.formulas.items()]
    else:
        out += ["", "[network]", *_network_lines(spec.network, given)]
    t = spec.train
    out += ["", "[train]"] + ([f"loss = {q(spec.loss_name)}"] if spec.network is None else [])
    out += [f"learning_rate = {t.learning_rate!r}", f"batch = {t.batch if t.batch is not None else q('full')}",
            f"epochs = {t.epochs}"]
    if t.trainable is not None:
        out.append(f"trainable = {q(t.trainable)}")
    if t.momentum:
        out.append(f"momentum = {t.momentum!r}")
    return "\n".join(out) + "\n"


def _network_lines(net: NetworkSpec, given: dict[str, float]) -> list[str]:
    """A [network] table with explicit weights and biases: each entry the drawn value of the
    parameter it belongs to (a shared name gives every entry of it the same value)."""
    q = json.dumps
    weights, biases = net.matrices()
    w_out, b_out = [], []
    for layer, (w, b) in enumerate(zip(weights, biases), start=1):
        w_names, b_names = parameter_names(net.names, layer, *w.shape)
        w_out.append([[given.get(w_names[i][j], float(w[i, j])) for j in range(w.shape[1])]
                      for i in range(w.shape[0])])
        if b is not None:
            b_out.append([given.get(b_names[j], float(b[j])) for j in range(len(b))])
    out = [f"sizes = {q(net.sizes)}", f"hidden = {q(net.hidden)}", f"output = {q(net.output)}",
           f"bias = {q(net.bias)}", f"loss = {q(net.loss)}", f"weights = {q(w_out)}"]
    if net.bias:
        out.append(f"biases = {q(b_out)}")
    if net.names:
        out.append("names = { " + ", ".join(f"{k} = {q(v)}" for k, v in net.names.items()) + " }")
    if net.units:
        out.append(f"units = {q(net.units)}")
    return out


def check_quizzable(spec: ExerciseSpec) -> None:
    if spec.data_source or spec.n_examples != 1:
        raise QuizError(f"{spec.path}: a quiz variant is one example worked by hand; this file has "
                        f"{spec.n_examples} examples. Give [inputs] and [targets] one number each")


def check_asked(asked: list[str], record: StepRecord) -> None:
    known = step_quantities(record)
    for q in asked:
        if q not in known:
            close = difflib.get_close_matches(q, list(known), n=1)
            raise QuizError(f"--ask {q}: not a quantity of this exercise" + (f" (did you mean {close[0]}?)" if close
                                                                             else "")
                            + "; name a node or param for its value (out_o1, E), grad:w1 for a gradient, "
                              "new:w1 for a weight after the update")


# -- writing -----------------------------------------------------------------------------------
def make(source: str | Path, variants: int, out: str | Path, seed: int = 0, asked: list[str] | None = None,
         pdf: bool = True) -> list[Variant]:
    """Write the variants, the class summary and the answer template into ``out``."""
    path = resolve(source)
    spec = load(path)
    check_quizzable(spec)
    out = Path(out)
    width = max(2, len(str(variants)))
    made: list[Variant] = []
    for k in range(1, variants + 1):
        folder = out / f"variant-{k:0{width}d}"
        made.append(_variant(spec, k, seed, folder, asked))
        asked = asked or list(made[0].answers)  # the first variant's defaults for all
    if pdf and shutil.which("pdflatex"):
        for v in made:
            for kind in ("sheet", "key"):
                pdf_path = _pdflatex(v.files[f"{kind}_tex"])
                if pdf_path is not None:
                    v.files[f"{kind}_pdf"] = pdf_path
    _summary(out, spec, seed, asked, made)
    return made


def _record(path: Path) -> tuple[StepRecord, StepDerivations]:
    """Step 1 of an exercise file: the record (after the update) and its derivations."""
    ex = Exercise.load(path)
    steps = StepDerivations.at(ex, 1)
    return steps.record, steps


def _variant(spec: ExerciseSpec, k: int, seed: int, folder: Path, asked: list[str] | None) -> Variant:
    title = f"{spec.title} · variant {k}"
    for attempt in range(ATTEMPTS):
        given = draw(spec, seed if attempt == 0 else seed + 7919 * attempt, k)
        text = exercise_toml(spec, given, title, f"Variant {k} of {spec.path}, drawn by scalarnet quiz with "
                                                 f"seed {seed}.")
        exercise = folder / "exercise.toml"
        write_atomic(exercise, text.encode("utf-8"))
        try:
            record, steps = _record(exercise)
            break
        except (ExerciseError, SpecError):  # overflow, log of a negative: draw again
            continue
    else:
        raise QuizError(f"{spec.path}: variant {k}: every draw from the [vary] ranges failed to run; narrow them")
    asked = asked or default_asked(record)
    check_asked(asked, record)
    answers = {q: step_quantities(record)[q] for q in asked}
    v = Variant(k, folder, given, answers, {"exercise": exercise})
    picture = _picture(exercise, {name for name, _ in formula_exprs(steps)}, set(given), folder)
    v.files.update(picture)
    sheet_md, key_md, sheet_tex, key_tex = (folder / n for n in ("sheet.md", "key.md", "sheet.tex", "key.tex"))
    write_atomic(sheet_md, sheet_markdown(steps, v, asked, picture).encode("utf-8"))
    write_atomic(key_md, key_markdown(steps, v, asked).encode("utf-8"))
    write_atomic(sheet_tex, sheet_latex(steps, v, asked, picture).encode("utf-8"))
    write_atomic(key_tex, key_latex(steps, v, asked).encode("utf-8"))
    v.files.update(sheet=sheet_md, key=key_md, sheet_tex=sheet_tex, key_tex=key_tex)
    return v


def _picture(exercise: Path, computed: set[str], given: set[str], folder: Path) -> dict[str, Path]:
    """The network picture with the given numbers only: the computed values are hidden.
    Rendered to SVG and PNG; where nothing renders, the DOT source is written instead."""
    from .views.diagram import NotRendered, diagram, save

    graph = diagram(exercise, step=1, phase="forward", level="neuron")
    if computed and not hide_values(graph, computed, {name.replace("_", "") for name in given}):
        print(f"scalarnet: note: {folder / 'network.svg'} may show computed values (no node of the picture was "
              "recognised to hide them); look at it before handing the sheet out", file=sys.stderr)
    out = {}
    for fmt in ("svg", "png"):
        try:
            out[f"picture_{fmt}"] = save(graph, folder / f"network.{fmt}")[0]
        except NotRendered as err:
            out["picture_dot"] = err.written[0]
            break
    return out


# a label line "name = number" or "name = formula = number" (after a line break \n or \l, or the opening quote)
_VALUE = re.compile(r'(\\[ln]|")([^\s=\\"]+) = ((?:[^\\"=]+ = )?)(-?\d[\d.]*(?:e[-+]?\d+)?)')
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
    """(name, formula) of each [graph] node, written as a textbook does (σ, superscripts)."""
    return [(name, symbolic.text(expr)) for name, expr in formula_exprs(steps)]


def _given_rows(steps: StepDerivations, v: Variant) -> list[tuple[str, str, str]]:
    ex = steps.exercise
    rows = [(name, ex.role(name), number(value)) for name, value in v.given.items()]
    rows.append(("η", "learning rate", number(ex.learning_rate)))
    return rows


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |"
                                                                             for r in rows]


def sheet_markdown(steps: StepDerivations, v: Variant, asked: list[str], picture: dict[str, Path]) -> str:
    loss = steps.exercise.loss_name
    out = [f"# {steps.exercise.title}", "", "## The network", ""]
    if "picture_svg" in picture:
        out += [f"![the network with the given numbers]({picture['picture_svg'].name})", ""]
    elif "picture_dot" in picture:
        out += [f"The picture's Graphviz source is `{picture['picture_dot'].name}` (render it with "
                f"`dot -Tsvg {picture['picture_dot'].name}`).", ""]
    out += ["## Given", ""] + _md_table(["name", "what", "value"], [list(r) for r in _given_rows(steps, v)])
    out += ["", "## The formulas", ""] + [f"- {name} = {text}" for name, text in formula_lines(steps)]
    out += ["", "## Questions", "",
            "Run one training step (forward, backward, update with learning rate η) and give, to at least 3 "
            "significant figures:", ""]
    out += [f"{k}. {describe(q, loss)} (`{q}`) = ________" for k, q in enumerate(asked, start=1)]
    out += ["", f"Hand in each answer as a CSV row `student,variant,quantity,value`, e.g. "
                f"`s01,{v.id},{asked[0]},0.123`.", ""]
    return "\n".join(out)


def _update_line(name: str, record: StepRecord, lr: float, latex: bool) -> str:
    before, g, after = record.values[name][0], record.grads[name], record.params[name]
    if latex:
        n = derivation.latex_name(name)
        return (rf"{n}^{{+}} &= {n} - \eta \cdot \frac{{\partial {derivation.latex_name(record.loss_name)}}}"
                rf"{{\partial {n}}} = {derivation.latex_number(before)} - {derivation.latex_number(lr)} \cdot "
                rf"{_paren(derivation.latex_number(g))} = {derivation.latex_number(after)}")
    return (f"{name}⁺ = {name} − η·∂{record.loss_name}/∂{name} = {number(before)} − {number(lr)}·"
            f"{_paren(number(g))} = {number(after)}")


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def key_markdown(steps: StepDerivations, v: Variant, asked: list[str]) -> str:
    ex, record = steps.exercise, steps.record
    loss = ex.loss_name
    out = [f"# Answer key · {ex.title}", "", "## Answers", ""]
    out += _md_table(["quantity", "what", "answer"], [[f"`{q}`", describe(q, loss), number(a)]
                                                       for q, a in v.answers.items()])
    out += ["", "## Given", ""] + _md_table(["name", "what", "value"], [list(r) for r in _given_rows(steps, v)])
    out += ["", "## Forward pass", ""]
    values = {n: vals[0] for n, vals in record.values.items()}
    out += [f"- {name} = {text} = {number(values[name])}" for name, text in formula_lines(steps)]
    out += ["", f"The loss: {loss} = {number(record.loss)}", "", "## Backward pass", ""]
    for name in ex.trainable:
        out.append(derivation.markdown(steps.derive(name), heading="###"))
    out += ["## The same in the delta form", "", "δ = ∂E/∂net of each neuron, from the loss down; then each "
            "gradient is a δ times the input its weight multiplies.".replace("∂E", f"∂{loss}"), "",
            "$$", r"\begin{aligned}", " \\\\\n".join(_deltas(steps)), r"\end{aligned}", "$$", ""]
    out += ["## Update", "", f"With learning rate η = {number(ex.learning_rate)}:", ""]
    out += [f"- {_update_line(name, record, ex.learning_rate, latex=False)}" for name in ex.trainable]
    return "\n".join(out) + "\n"


def _deltas(steps: StepDerivations) -> list[str]:
    forms = [delta_form(steps, name) for name in steps.exercise.trainable]
    return derivation.deltas_together(forms, steps.record.values)


# -- LaTeX ---------------------------------------------------------------------------------------
_PREAMBLE = [r"\documentclass[11pt]{article}", r"\usepackage[utf8]{inputenc}", r"\usepackage{amsmath,amssymb}",
             r"\usepackage{graphicx}", r"\usepackage[margin=2cm]{geometry}",
             r"\allowdisplaybreaks",  # a long derivation continues on the next page
             r"\begin{document}"]


def _tex_text(text: str) -> str:
    """Plain words for LaTeX text mode."""
    return re.sub(r"([\\{}_^#$%&~])", lambda m: r"\textbackslash{}" if m[1] == "\\" else "\\" + m[1], text)


def _tex_quantity(q: str, loss: str) -> str:
    if q.startswith(GRAD):
        return rf"$\partial {derivation.latex_name(loss)} / \partial {derivation.latex_name(q[len(GRAD):])}$"
    if q.startswith(NEW):
        return f"${derivation.latex_name(q[len(NEW):])}$ after the update"
    return f"${derivation.latex_name(q)}$"


def _tex_given(steps: StepDerivations, v: Variant) -> list[str]:
    rows = [rf"${derivation.latex_name(n)}$ & {_tex_text(role)} & ${derivation.latex_number(v.given[n])}$ \\"
            for n, role, _ in _given_rows(steps, v)[:-1]]
    rows.append(rf"$\eta$ & learning rate & ${derivation.latex_number(steps.exercise.learning_rate)}$ \\")
    return [r"\begin{tabular}{llr}", r"name & what & value \\ \hline", *rows, r"\end{tabular}"]


def _tex_formulas(steps: StepDerivations, values: bool = False) -> list[str]:
    """The formulas in LaTeX, each with its value at the step when ``values``."""
    rows = []
    for name, expr in formula_exprs(steps):
        value = f" = {derivation.latex_number(steps.record.values[name][0])}" if values else ""
        rows.append(rf"{derivation.latex_name(name)} &= {symbolic.latex(expr, derivation.latex_name)}{value}")
    return [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]


def sheet_latex(steps: StepDerivations, v: Variant, asked: list[str], picture: dict[str, Path]) -> str:
    loss = steps.exercise.loss_name
    out = [*_PREAMBLE, rf"\section*{{{_tex_text(steps.exercise.title)}}}"]
    if "picture_png" in picture:
        out += [r"\begin{center}", rf"\includegraphics[width=\textwidth]{{{picture['picture_png'].name}}}",
                r"\end{center}"]
    elif "picture_dot" in picture:
        out.append(rf"The picture's Graphviz source is \texttt{{{_tex_text(picture['picture_dot'].name)}}}.")
    out += [r"\subsection*{Given}", *_tex_given(steps, v), r"\subsection*{The formulas}", *_tex_formulas(steps),
            r"\subsection*{Questions}",
            r"Run one training step (forward, backward, update with learning rate $\eta$) and give, to at least 3 "
            "significant figures:", r"\begin{enumerate}"]
    out += [rf"\item {_tex_quantity(q, loss)} (\texttt{{{_tex_text(q)}}}) $= \underline{{\hspace{{4cm}}}}$"
            for q in asked]
    out += [r"\end{enumerate}", r"\end{document}", ""]
    return "\n".join(out)


def key_latex(steps: StepDerivations, v: Variant, asked: list[str]) -> str:
    ex, record = steps.exercise, steps.record
    loss = ex.loss_name
    out = [*_PREAMBLE, rf"\section*{{Answer key: {_tex_text(ex.title)}}}", r"\subsection*{Answers}",
           r"\begin{tabular}{llr}", r"quantity & what & answer \\ \hline"]
    out += [rf"\texttt{{{_tex_text(q)}}} & {_tex_quantity(q, loss)} & ${derivation.latex_number(a)}$ \\"
            for q, a in v.answers.items()]
    out += [r"\end{tabular}", r"\subsection*{Given}", *_tex_given(steps, v), r"\subsection*{Forward pass}",
            *_tex_formulas(steps, values=True), r"\subsection*{Backward pass}"]
    for name in ex.trainable:
        heading = rf"$\partial {derivation.latex_name(loss)} / \partial {derivation.latex_name(name)}$"
        out += [rf"\subsubsection*{{{heading}}}", derivation.latex(steps.derive(name))]
    out += [r"\subsection*{The same in the delta form}", r"\begin{align*}", " \\\\\n".join(_deltas(steps)),
            r"\end{align*}"]
    out += [r"\subsection*{Update}", r"\begin{align*}",
            " \\\\\n".join(_update_line(n, record, ex.learning_rate, latex=True) for n in ex.trainable),
            r"\end{align*}", r"\end{document}", ""]
    return "\n".join(out)


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
            error = next((line for line in run.stdout.splitlines() if line.startswith("!")), "see the .tex")
            print(f"scalarnet: pdflatex could not typeset {tex} ({error}); the .tex is there", file=sys.stderr)
            return None
        write_atomic(tex.with_suffix(".pdf"), made.read_bytes())
    return tex.with_suffix(".pdf")


# -- the class summary ------------------------------------------------------------------------------
def _summary(out: Path, spec: ExerciseSpec, seed: int, asked: list[str], made: list[Variant]) -> None:
    given = list(made[0].given)
    doc = {"source": spec.path, "title": spec.title, "seed": seed, "asked": asked,
           "variants": [{**v.to_json(), "given": v.given, "answers": v.answers,
                         "files": {k: str(p) for k, p in v.files.items()}} for v in made]}
    write_atomic(out / "summary.json", (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
    table = io.StringIO()
    w = csv.writer(table, lineterminator="\n")
    w.writerow(["variant", *given, *asked])
    for v in made:
        w.writerow([v.id, *(repr(v.given[n]) for n in given), *(repr(v.answers[q]) for q in asked)])
    write_atomic(out / "summary.csv", table.getvalue().encode("utf-8"))
    template = io.StringIO()
    w = csv.writer(template, lineterminator="\n")
    w.writerow(["student", "variant", "quantity", "value"])
    for v in made:
        for q in asked:
            w.writerow(["", v.id, q, ""])
    write_atomic(out / "answers-template.csv", template.getvalue().encode("utf-8"))
