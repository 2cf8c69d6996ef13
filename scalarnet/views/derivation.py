"""Derivations written out: plain text for a terminal, Markdown with LaTeX (GitHub,
Jupyter), a LaTeX fragment (needs ``\\usepackage{amsmath}``) and JSON.

A path reads as a textbook line does:
∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5 = (out_o1 − t1) · out_o1(1 − out_o1) · out_h1 = numbers.
"""

from __future__ import annotations

import dataclasses
import html
import math
import re

from .. import symbolic
from ..derive import TOLERANCE, DeltaForm, DeltaLine, Derivation, Factor, Hop, Path
from ..engine import which_examples
from .table import aligned_rows, number

FORMATS = ("text", "markdown", "latex", "json")
MAX_ROWS = 32  # rows of a summary's tables before "… more"


# -- names and numbers -----------------------------------------------------------------
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "kappa", "lambda", "mu",
          "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega"}
_LAYERED = re.compile(r"([A-Za-z]+)(\d+)\[(\d+(?:,\d+)*)\]")  # W1[0,3], z2[4]
_SUBSCRIPTED = re.compile(r"([A-Za-z]+)_([A-Za-z0-9]+)")  # out_o1, E_total, y_pred
_NUMBERED = re.compile(r"([A-Za-z]+?)(\d+)")  # w5, alpha1, b21


def count_text(n: int) -> str:
    """A path count for a person: as it is up to a million, else in scientific notation
    (2**3000 paths have more digits than Python will turn into text)."""
    if n < 10**6:
        return str(n)
    exponent = int(math.log10(n))
    if 10**exponent > n:  # log10 rounded up
        exponent -= 1
    return f"{n // 10 ** (exponent - 2) / 100:.2f}e{exponent}"


def count_json(n: int) -> int | float | str:
    """A path count for JSON: the integer while a float holds it exactly, else a float, and
    beyond the floats' range the scientific-notation text."""
    if n <= 2**53:
        return n
    return float(n) if n < 10**308 else count_text(n)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")


def markdown_text(text: str) -> str:
    """A user's string in Markdown prose: <, > and & as HTML entities (no raw HTML), the
    other characters Markdown reads (*, _, [, $, ...) backslash-escaped, line breaks as spaces."""
    text = html.escape(re.sub(r"\s", " ", text), quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def latex_comment(text: str) -> str:
    """Text for a % comment line: no line break, which would end the comment and make the
    rest live TeX."""
    return re.sub(r"[\r\n\x0b\x0c\x85\u2028\u2029]", " ", text)


def latex_name(name: str) -> str:
    """A name in LaTeX math: w5 → w_{5}, out_o1 → \\mathrm{out}_{o1}, W1[0,3] → W^{(1)}_{0,3}."""
    if m := _LAYERED.fullmatch(name):
        return f"{_word(m[1])}^{{({m[2]})}}_{{{m[3]}}}"
    if m := _SUBSCRIPTED.fullmatch(name):
        return f"{_word(m[1])}_{{{_word(m[2])}}}"
    if m := _NUMBERED.fullmatch(name):
        return f"{_word(m[1])}_{{{m[2]}}}"
    if name.isascii() and name.isalpha():
        return _word(name)
    escaped = re.sub(r"([\\{}_^#$%&~])", lambda m: _TEX_SPECIAL.get(m[1], "\\" + m[1]), re.sub(r"\s", " ", name))
    return r"\mathrm{" + escaped.replace(" ", r"\ ") + "}"


_TEX_SPECIAL = {"\\": r"\backslash{}", "^": r"\hat{}", "~": r"\sim{}"}  # in math mode


def _word(word: str) -> str:
    if word in _GREEK:
        return "\\" + word
    return rf"\mathrm{{{word}}}" if len(word) > 1 and word.isalpha() else word


def latex_number(v: float) -> str:
    """``number(v)`` in LaTeX: 1.5e-05 → 1.5 \\times 10^{-5}."""
    return ("-" if v < 0 else "") + symbolic.latex_exponent(number(abs(v) + 0.0))


def _partial(top: str, bottom: str, latex: bool) -> str:
    if latex:
        return rf"\frac{{\partial {latex_name(top)}}}{{\partial {latex_name(bottom)}}}"
    return f"∂{top}/∂{bottom}"


def _in_chain(shown: str, expr: symbolic.Expr | None, latex: bool) -> str:
    """One factor of a product of factors: bracketed if it is a sum or starts with a minus."""
    if isinstance(expr, symbolic.Sum) or shown.startswith(("−", "-")) or (not latex and " / " in shown):
        return rf"\left({shown}\right)" if latex else f"({shown})"
    return shown


def _symbolic(f: Factor, latex: bool) -> str:
    return symbolic.latex(f.symbolic, latex_name) if latex else symbolic.text(f.symbolic)


def _chain_lines(factors: tuple[Factor, ...], latex: bool) -> tuple[str, str, str]:
    """The partials, the symbolic factors and the numbers of a path, each joined by dots."""
    dot = r" \cdot " if latex else " · "
    num = latex_number if latex else number
    return (dot.join(_partial(f.node, f.wrt, latex) for f in factors),
            dot.join(_in_chain(_symbolic(f, latex), f.symbolic, latex) for f in factors),
            dot.join(_in_chain(num(f.value), None, latex) for f in factors))


def _where(d: Derivation) -> str:
    if d.step is None:  # a graph built in Python: no steps, no examples
        return "the current values"
    return f"step {d.step}, {which_examples(d.examples)}"


def _batch_note(d: Derivation) -> str:
    n = len(d.examples)
    if n == 1:
        return ""
    return (f"{d.loss} is the mean of {d.example_loss} over the batch of {n} examples: every path starts with "
            f"∂{d.loss}/∂{d.example_loss} = 1/{n}, so the sum over the paths of all examples is the mean of "
            "the per-example gradients.")


def _count(d: Derivation) -> str:
    paths = "1 path" if d.n_paths == 1 else f"{count_text(d.n_paths)} paths"
    per = f" ({count_text(d.n_paths // len(d.examples))} per example)" if len(d.examples) > 1 else ""
    return f"{paths} from {d.loss} to {d.param} through the named nodes{per}"


def _check(d: Derivation) -> str:
    verdict = f"equal to within {TOLERANCE:g} ✓" if d.agrees else "NOT EQUAL ✗"
    return (f"check: the engine's gradient ∂{d.loss}/∂{d.param} = {number(d.gradient)}; the sum over the paths "
            f"= {number(d.total)}, difference {d.difference:.3g}: {verdict}")


def _child_rules(hops: list[Hop]) -> dict[str, Factor]:
    """∂child/∂param for each named child of the parameter (the same in every example)."""
    return {h.factor.node: h.factor for h in hops}


# -- text ------------------------------------------------------------------------------------
def text(d: Derivation) -> str:
    out = [f"∂{d.loss}/∂{d.param} at {_where(d)}: {_count(d)}"]
    if note := _batch_note(d):
        out.append(note)
    out.append("")
    if d.paths is None:
        out += _text_summary(d)
    else:
        for k, path in enumerate(d.paths, start=1):
            out += _text_path(d, path, k)
        products = [p.product for p in d.paths]
        terms = " + ".join(_in_chain(number(v), None, False) for v in products)
        shown = f"{terms} = {number(d.total)}" if 1 < len(products) <= 8 else number(d.total)
        out.append(f"∂{d.loss}/∂{d.param} = {shown}")
    out.append(_check(d))
    return "\n".join(out) + "\n"


def _steps(path: Path, latex: bool) -> list[str]:
    """The lines of a path's product: partials, factors, numbers, result, without the lines
    that would only say the same again (a lone partial ∂E/∂w is the left-hand side itself;
    a lone number is its own product)."""
    partials, symbols, numbers = _chain_lines(path.factors, latex)
    result = (latex_number if latex else number)(path.product)
    lines = ([partials] if len(path.factors) > 1 else []) + [symbols, numbers, result]
    return [line for k, line in enumerate(lines) if k == 0 or line != lines[k - 1]]


def _text_path(d: Derivation, path: Path, k: int) -> list[str]:
    label = " → ".join(path.nodes)
    if d.n_paths > 1 or len(d.examples) > 1:
        label = f"path {k}" + (f" (example {path.example})" if len(d.examples) > 1 else "") + f": {label}"
    lead = f"∂{d.loss}/∂{d.param} = " if d.n_paths == 1 else ""
    pad = " " * (len(lead) - 2)
    lines = _steps(path, latex=False)
    first = f"  {lead}{lines[0]}" if len(path.factors) > 1 or lead else f"  = {lines[0]}"
    return [label, first, *(f"  {pad}= {line}" for line in lines[1:]), ""]


def _text_summary(d: Derivation) -> list[str]:
    fix = f"--max-paths {d.n_paths} lists them" if d.n_paths < 10**6 else "far too many to list one by one"
    out = [f"Too many paths to list ({fix}); the delta form sums them:",
           f"δ(n) = ∂{d.loss}/∂n, handed down from {d.loss} node by node: δ(n) = Σ over n's children c of "
           "δ(c) · ∂c/∂n.", ""]
    rules = _child_rules(d.hops)
    out.append(f"∂{d.loss}/∂{d.param} = Σ over the examples and the nodes c that use {d.param} of "
               f"δ(c) · ∂c/∂{d.param}, with " + ", ".join(f"∂{c}/∂{d.param} = {symbolic.text(f.symbolic)}"
                                                          for c, f in rules.items()))
    c = next(iter(rules)) if len(rules) == 1 else "c"  # name the one child in the header
    rows = [[str(h.example), h.factor.node, number(h.delta), number(h.factor.value), number(h.product + 0.0)]
            for h in d.hops[:MAX_ROWS]]  # + 0.0: a product −0 shows as 0
    out += aligned_rows(["example", "node c", f"δ({c})", f"∂{c}/∂{d.param}", "product"], rows)
    if len(d.hops) > MAX_ROWS:
        out.append(f"  … {len(d.hops) - MAX_ROWS} more rows")
    out += [f"  sum = {number(d.total)}", ""]
    if d.deltas:
        out.append("δ = ∂L/∂net of the net inputs on the paths, summed over the batch:"
                   .replace("∂L", f"∂{d.loss}"))
        items = list(d.deltas.items())
        out += aligned_rows(["net", "δ"], [[name, number(v)] for name, v in items[:MAX_ROWS]])
        if len(items) > MAX_ROWS:
            out.append(f"  … {len(items) - MAX_ROWS} more")
        out.append("")
    return out


# -- LaTeX and Markdown ------------------------------------------------------------------
def _math_blocks(d: Derivation) -> list[tuple[str, list[str]]]:
    """(a line of prose, the rows of an aligned block) for each part of the derivation."""
    lhs = _partial(d.loss, d.param, latex=True)
    blocks = []
    for k, path in enumerate(d.paths or [], start=1):
        route = r" \to ".join(latex_name(n) for n in path.nodes)
        label = ("The path" if d.n_paths == 1 else f"Path {k}") + (
            f" (example {path.example})" if len(d.examples) > 1 else "")
        lines = _steps(path, latex=True)
        head = f"{lhs} &= " if d.n_paths == 1 else ("&" if len(path.factors) > 1 else "&= ")
        blocks.append((f"{label}: ${route}$", [f"{head}{lines[0]}", *(f"&= {line}" for line in lines[1:])]))
    if d.paths is not None and d.n_paths > 1:
        products = [p.product for p in d.paths]
        terms = " + ".join(_in_chain(latex_number(v), None, True) for v in products)
        rows = [f"{lhs} &= {terms}", f"&= {latex_number(d.total)}"] if len(products) <= 8 else [
            f"{lhs} &= {latex_number(d.total)}"]
        blocks.append((f"The sum over the {d.n_paths} paths:", rows))
    return blocks


def _summary_rows(d: Derivation) -> tuple[list[str], list[list[str]]]:
    header = ["example", "node $c$", r"$\delta(c)$", rf"$\partial c / \partial {latex_name(d.param)}$", "product"]
    rows = [[str(h.example), f"${latex_name(h.factor.node)}$", f"${latex_number(h.delta)}$",
             f"${latex_number(h.factor.value)}$", f"${latex_number(h.product)}$"] for h in d.hops[:MAX_ROWS]]
    return header, rows


def _summary_prose(d: Derivation, prose: Derivation | None = None) -> list[str]:
    """The delta form in words; ``prose``: ``d`` with its names escaped for the words around the math."""
    loss, param = latex_name(d.loss), latex_name(d.param)
    rules = ", ".join(f"${_partial(c, d.param, True)} = {_symbolic(f, True)}$" for c, f in _child_rules(d.hops).items())
    return [f"{_count(prose or d)}: too many to list. The delta form sums them: "
            rf"$\delta(n) = \partial {loss} / \partial n$ is handed down from ${loss}$ node by node, "
            rf"$\delta(n) = \sum_c \delta(c) \, \partial c / \partial n$ over the children $c$ of $n$, and "
            rf"$\frac{{\partial {loss}}}{{\partial {param}}} = "
            rf"\sum \delta(c) \, \frac{{\partial c}}{{\partial {param}}}$ over the examples and "
            f"the nodes $c$ that use ${param}$, with {rules}."]


def markdown(d: Derivation, heading: str = "####") -> str:
    # the names in prose escaped (the math goes through latex_name): no raw HTML, whatever a name holds
    prose = dataclasses.replace(d, loss=markdown_text(d.loss), param=markdown_text(d.param),
                                example_loss=markdown_text(d.example_loss))
    out = [f"{heading} ∂{prose.loss}/∂{prose.param} at {_where(d)}", ""]
    if note := _batch_note(prose):
        out += [note, ""]
    if d.paths is None:
        out += _summary_prose(d, prose) + [""]
        header, rows = _summary_rows(d)
        out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(r) + " |" for r in rows] + [f"| sum | | | | ${latex_number(d.total)}$ |", ""]
        if d.deltas:
            out += [rf"$\delta = \partial {latex_name(d.loss)} / \partial \mathrm{{net}}$ of the net inputs on the "
                    "paths, summed over the batch:", "", "| net | δ |", "|---|---|"]
            out += [f"| ${latex_name(k)}$ | ${latex_number(v)}$ |" for k, v in list(d.deltas.items())[:MAX_ROWS]]
            out.append("")
    else:
        out += [f"{_count(prose)}.", ""]
        for line, rows in _math_blocks(d):
            out += [line, "", "$$", r"\begin{aligned}", " \\\\\n".join(rows), r"\end{aligned}", "$$", ""]
    out += [_check(prose).replace("check:", "**Check:**", 1), ""]
    return "\n".join(out)


def latex(d: Derivation) -> str:
    """A LaTeX fragment for a document whose preamble has ``\\usepackage{amsmath}``."""
    out = [latex_comment(f"% scalarnet: the derivation of d{d.loss}/d{d.param} at {_where(d)}".replace("–", "-")),
           "% needs \\usepackage{amsmath} in the preamble", ""]
    if (n := len(d.examples)) > 1:
        out += [rf"${latex_name(d.loss)}$ is the mean of ${latex_name(d.example_loss)}$ over the batch of {n} "
                rf"examples: every path starts with $\partial {latex_name(d.loss)} / \partial "
                rf"{latex_name(d.example_loss)} = 1/{n}$.", ""]
    if d.paths is None:
        out += [_latex_text(_summary_prose(d)[0]), ""]
        header, rows = _summary_rows(d)
        out += [r"\begin{tabular}{rlrrr}", " & ".join(header) + r" \\ \hline"]
        out += [" & ".join(r) + r" \\" for r in rows]
        out += [rf"sum & & & & ${latex_number(d.total)}$ \\", r"\end{tabular}", ""]
    else:
        out += [_latex_text(f"{_count(d)}."), ""]
        for prose, rows in _math_blocks(d):
            out += [prose, r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}", ""]
    verdict = rf"equal to within $10^{{{int(f'{TOLERANCE:e}'.split('e')[1])}}}$" if d.agrees else "NOT EQUAL"
    out += [rf"Check: the engine's gradient is ${latex_number(d.gradient)}$; the sum over the paths is "
            rf"${latex_number(d.total)}$, {verdict}.", ""]
    return "\n".join(out)


def _latex_text(prose: str) -> str:
    """Prose with names in it, for LaTeX text mode: each name set in math."""
    return re.sub(r"from (\S+) to (\S+) through", lambda m: f"from ${latex_name(m[1])}$ to ${latex_name(m[2])}$ "
                  "through", prose)


# -- JSON -------------------------------------------------------------------------------------
def _factor_json(f: Factor) -> dict:
    return {"node": f.node, "wrt": f.wrt, "symbolic": symbolic.text(f.symbolic),
            "latex": symbolic.latex(f.symbolic, latex_name), "value": f.value}


def to_json(d: Derivation) -> dict:
    """``{"param", "loss", "value", "paths": [{"nodes", "factors", "product"}]}`` and more: the
    products sum to ``value``, the engine's gradient (when the paths are listed)."""
    out = {"param": d.param, "loss": d.loss, "value": d.gradient, "sum": d.total, "step": d.step,
           "examples": list(d.examples), "n_paths": count_json(d.n_paths), "agrees": d.agrees,
           "paths": [{"example": p.example, "nodes": list(p.nodes), "factors": [_factor_json(f) for f in p.factors],
                      "product": p.product} for p in d.paths or []]}
    if len(d.examples) > 1:
        out["batch"] = _batch_note(d)
    if d.paths is None:
        # Too many paths to list: ``paths`` holds the delta form's terms instead, each
        # δ(child)·∂child/∂param with δ(child) = ∂loss/∂child already summed over the paths
        # above the child, so the products still sum to ``value``.
        out["paths"] = [{"example": h.example, "nodes": [d.loss, h.factor.node, d.param],
                         "factors": [{"node": d.loss, "wrt": h.factor.node,
                                      "symbolic": f"δ({h.factor.node}) = ∂{d.loss}/∂{h.factor.node}",
                                      "value": h.delta}, _factor_json(h.factor)],
                         "product": h.product} for h in d.hops]
        out["summarised"] = (f"{count_text(d.n_paths)} paths are too many to list: each entry of paths is one term "
                             "δ(child)·∂child/∂param of the delta form, which sums them")
        out["hops"] = [{"example": h.example, "delta": h.delta, "factor": _factor_json(h.factor),
                        "product": h.product} for h in d.hops]
        out["deltas"] = dict(d.deltas)
    return out


# -- the delta form ------------------------------------------------------------------------------
MAX_DELTAS = 40  # δ lines shown before "… more"


def _delta_values(f: DeltaForm, example: int, values: dict[str, list[float]], examples: list[int]
                  ) -> dict[str, float]:
    at = {name: v[examples.index(example)] for name, v in values.items()}
    at.update({line.symbol: line.value for line in f.lines if line.example == example and line.name != f.param})
    return at


def _delta_numbers(line: DeltaLine, at: dict[str, float], latex: bool) -> str | None:
    """Each term δ(child)·∂child/∂name of a δ line in numbers (the δ of the loss, 1, left out),
    or None when that would only repeat the result."""
    num = latex_number if latex else number
    dot = r" \cdot " if latex else " · "
    terms = []
    for above, factor in line.terms:
        parts = ([] if above == symbolic.ONE else [above]) + [factor]
        terms.append(dot.join(_in_chain(num(x.evaluate(at)), None, latex) for x in parts))
    if len(terms) == 1 and dot not in terms[0]:
        return None
    return " + ".join(terms)


def _delta_lhs(f: DeltaForm, line: DeltaLine, latex: bool) -> str:
    if line.name == f.param:
        return _partial(f.loss, f.param, latex)
    if latex:
        return rf"\delta_{{{latex_name(line.symbol[2:])}}} = {_partial(f.loss, line.name, True)}"
    return f"{line.symbol} = ∂{f.loss}/∂{line.name}"


def _delta_rows(f: DeltaForm, values: dict[str, list[float]], latex: bool) -> list[tuple[str, list[str]]]:
    """(the left-hand side, the right-hand sides: formula, numbers, result) per line shown."""
    rows = []
    shown = [line for line in f.lines if line.name == f.param][:MAX_DELTAS]
    shown = [line for line in f.lines if line.name != f.param][:MAX_DELTAS] + shown
    for line in sorted(shown, key=f.lines.index):
        at = _delta_values(f, line.example, values, f.examples)
        expr = (symbolic.latex(line.expr, _delta_latex_name) if latex else symbolic.text(line.expr))
        numbers = _delta_numbers(line, at, latex)
        result = (latex_number if latex else number)(line.value)
        rows.append((_delta_lhs(f, line, latex), [expr] + ([numbers] if numbers else []) + [result]))
    return rows


def _delta_latex_name(name: str) -> str:
    return rf"\delta_{{{latex_name(name[2:])}}}" if name.startswith("δ_") else latex_name(name)


def _delta_check(f: DeltaForm) -> str:
    verdict = f"equal to within {TOLERANCE:g} ✓" if f.agrees else "NOT EQUAL ✗"
    return f"check: the engine's gradient ∂{f.loss}/∂{f.param} = {number(f.gradient)}; the delta form gives " \
           f"{number(f.total)}: {verdict}"


def _delta_head(f: DeltaForm) -> str:
    return (f"∂{f.loss}/∂{f.param} at step {f.step}, {which_examples(f.examples)}, in the delta form: "
            f"δ = ∂{f.loss}/∂net of each neuron on the way, from the loss down")


def delta_text(f: DeltaForm, values: dict[str, list[float]]) -> str:
    out = [_delta_head(f), ""]
    hidden = len(f.lines) - len(_delta_rows(f, values, False))
    for lhs, rhs in _delta_rows(f, values, latex=False):
        out.append(f"  {lhs} = {rhs[0]}")
        out += [" " * (len(lhs) + 3) + f"= {r}" for r in rhs[1:]]
    if hidden:
        out.append(f"  … {hidden} more lines (--format json lists them all)")
    out += ["", _delta_check(f)]
    return "\n".join(out) + "\n"


def delta_markdown(f: DeltaForm, values: dict[str, list[float]], heading: str = "####") -> str:
    rows = [f"{lhs} &= " + " \\\\\n&= ".join(rhs) for lhs, rhs in _delta_rows(f, values, latex=True)]
    return "\n".join([f"{heading} {_delta_head(f)}", "", "$$", r"\begin{aligned}", " \\\\\n".join(rows),
                      r"\end{aligned}", "$$", "", _delta_check(f).replace("check:", "**Check:**", 1), ""])


def delta_latex(f: DeltaForm, values: dict[str, list[float]]) -> str:
    rows = [f"{lhs} &= " + " \\\\\n&= ".join(rhs) for lhs, rhs in _delta_rows(f, values, latex=True)]
    return "\n".join([f"% scalarnet: d{f.loss}/d{f.param} in the delta form; needs \\usepackage{{amsmath}}",
                      r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}", "",
                      rf"Check: the engine's gradient is ${latex_number(f.gradient)}$; the delta form gives "
                      rf"${latex_number(f.total)}$.", ""])


def deltas_together(forms: list[DeltaForm], values: dict[str, list[float]]) -> list[str]:
    """Several parameters' delta forms as one aligned block's rows (LaTeX): each δ once, from the
    loss down, then every gradient."""
    deltas: dict[str, list[str]] = {}
    grads: dict[str, list[str]] = {}
    for f in forms:
        for lhs, rhs in _delta_rows(f, values, latex=True):
            (grads if lhs == _partial(f.loss, f.param, True) else deltas).setdefault(lhs, rhs)
    return [f"{lhs} &= " + " \\\\\n&= ".join(rhs) for lhs, rhs in [*deltas.items(), *grads.items()]]


def delta_json(f: DeltaForm) -> dict:
    """``{"param", "loss", "value", "sum", "agrees", "deltas": [{"example", "node", "symbol", "symbolic",
    "value"}], "result": [{"example", "symbolic", "value"}]}``: the results sum to ``value``."""
    return {"param": f.param, "loss": f.loss, "value": f.gradient, "sum": f.total, "agrees": f.agrees,
            "step": f.step, "examples": f.examples,
            "deltas": [{"example": x.example, "node": x.name, "symbol": x.symbol, "symbolic": symbolic.text(x.expr),
                        "value": x.value} for x in f.lines if x.name != f.param],
            "result": [{"example": x.example, "symbolic": symbolic.text(x.expr), "value": x.value}
                       for x in f.lines if x.name == f.param]}


def render_delta(f: DeltaForm, values: dict[str, list[float]], fmt: str) -> str:
    if fmt == "json":
        import json

        return json.dumps(delta_json(f), ensure_ascii=False)
    return {"text": delta_text, "markdown": delta_markdown, "latex": delta_latex}[fmt](f, values)


def render(d: Derivation, fmt: str) -> str:
    """The derivation in one of FORMATS (json as a string)."""
    if fmt == "json":
        import json

        return json.dumps(to_json(d), ensure_ascii=False)
    return {"text": text, "markdown": markdown, "latex": latex}[fmt](d)
