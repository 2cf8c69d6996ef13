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
from collections.abc import Callable

from ..analysis.derive import TOLERANCE, DeltaForm, DeltaLine, Derivation, Factor, Hop, Path
from ..core import symbolic
from ..core.infix import operand
from ..engines.record import which_examples
from ..i18n import N_, _, ngettext, using_language
from .table import aligned_rows, display_width, number, one_line, shown
from .typography import partial

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


# what Markdown reads within a line (- + . start a list only at the start of one, and ( ! act only
# next to a bracket, escaped already: left as they are, so 2-2-2 (seed 003) stays readable)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#|~$])")


def markdown_text(text: str) -> str:
    """A user's string in Markdown prose: <, > and & as HTML entities (no raw HTML), the
    other characters Markdown reads (*, _, [, $, ...) backslash-escaped, line breaks as spaces,
    control characters (a terminal escape) shown as escapes."""
    text = html.escape(one_line(text), quote=False)
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
    return partial(top, bottom)


def _shown(name: str) -> str:
    """A name in running text, as every view writes it (views/typography.py), bracketed when it is a formula."""
    return operand(shown(name))


def _text_names(d: Derivation) -> Derivation:
    """``d`` with its names as the text shows them, for the prose (not for its arithmetic)."""
    return dataclasses.replace(d, loss=_shown(d.loss), param=_shown(d.param), example_loss=_shown(d.example_loss))


def _in_chain(written: str, expr: symbolic.Expr | None, latex: bool) -> str:
    """One factor of a product of factors: bracketed if it is a sum or starts with a minus."""
    if isinstance(expr, symbolic.Sum) or written.startswith(("−", "-")) or (not latex and " / " in written):
        return rf"\left({written}\right)" if latex else f"({written})"
    return written


def _symbolic(f: Factor, latex: bool) -> str:
    return symbolic.latex(f.symbolic, latex_name) if latex else symbolic.text(f.symbolic, shown)


def _chain_lines(factors: tuple[Factor, ...], latex: bool) -> tuple[str, str, str]:
    """The partials, the symbolic factors and the numbers of a path, each joined by dots."""
    dot = r" \cdot " if latex else " · "
    num = latex_number if latex else number
    return (dot.join(_partial(f.node, f.wrt, latex) for f in factors),
            dot.join(_in_chain(_symbolic(f, latex), f.symbolic, latex) for f in factors),
            dot.join(_in_chain(num(f.value), None, latex) for f in factors))


def _where(d: Derivation) -> str:
    if d.step is None:  # a graph built in Python: no steps, no examples
        return _("the current values")
    return _("step {step}, {examples}").format(step=d.step, examples=which_examples(d.examples))


def _batch_note(d: Derivation) -> str:
    n = len(d.examples)
    if n == 1:
        return ""
    return _("{loss} is the mean of {example_loss} over the batch of {n} examples: every path starts with "
             "∂{loss}/∂{example_loss} = 1/{n}, so the sum over the paths of all examples is the mean of "
             "the per-example gradients.").format(loss=d.loss, example_loss=d.example_loss, n=n)


def _count(d: Derivation, name: Callable[[str], str] = str) -> str:
    """How many paths there are; ``name`` sets the loss and the parameter (LaTeX: in math)."""
    per = _(" ({n} per example)").format(n=count_text(d.n_paths // len(d.examples))) if len(d.examples) > 1 else ""
    return ngettext("{n} path from {loss} to {param} through the named nodes{per}",
                    "{n} paths from {loss} to {param} through the named nodes{per}", d.n_paths).format(
        n=count_text(d.n_paths), loss=name(d.loss), param=name(d.param), per=per)


def _verdict(agrees: bool) -> str:
    return _("equal to within {tolerance} ✓").format(tolerance=f"{TOLERANCE:g}") if agrees else _("NOT EQUAL ✗")


def _check(d: Derivation, head: str = N_("check:")) -> str:
    """The check against the engine; ``head``: its first word (Markdown sets it in bold)."""
    return _("{check} the engine's gradient ∂{loss}/∂{param} = {gradient}; the sum over the paths "
             "= {total}, difference {difference}: {verdict}").format(
        check=_(head), loss=d.loss, param=d.param, gradient=number(d.gradient), total=number(d.total),
        difference=number(d.difference, 3), verdict=_verdict(d.agrees))


def _child_rules(hops: list[Hop]) -> dict[str, Factor]:
    """∂child/∂param for each named child of the parameter (the same in every example)."""
    return {h.factor.node: h.factor for h in hops}


# -- text ------------------------------------------------------------------------------------
def text(d: Derivation) -> str:
    raw, d = d, _text_names(d)  # the names as shown, in the prose; the paths show their own
    out = [_("∂{loss}/∂{param} at {where}: {count}").format(loss=d.loss, param=d.param, where=_where(d),
                                                           count=_count(d))]
    if note := _batch_note(d):
        out.append(note)
    out.append("")
    if d.paths is None:
        out += _text_summary(d, raw)
    else:
        for k, path in enumerate(d.paths, start=1):
            out += _text_path(d, path, k)
        products = [p.product for p in d.paths]
        terms = " + ".join(_in_chain(number(v), None, False) for v in products)
        summed = f"{terms} = {number(d.total)}" if 1 < len(products) <= 8 else number(d.total)
        out.append(f"∂{d.loss}/∂{d.param} = {summed}")
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
    label = " → ".join(shown(n) for n in path.nodes)
    if d.n_paths > 1 or len(d.examples) > 1:
        label = _path_label(k, path, d) + _(": {route}").format(route=label)
    lead = f"∂{d.loss}/∂{d.param} = " if d.n_paths == 1 else ""
    pad = " " * (display_width(lead) - 2)  # the "=" of each next line under the first one, CJK names too
    lines = _steps(path, latex=False)
    first = f"  {lead}{lines[0]}" if len(path.factors) > 1 or lead else f"  = {lines[0]}"
    return [label, first, *(f"  {pad}= {line}" for line in lines[1:]), ""]


def _path_label(k: int, path: Path, d: Derivation) -> str:
    """'path 2', with its example in a batch."""
    label = _("path {k}").format(k=k)
    return label + (_(" (example {example})").format(example=path.example) if len(d.examples) > 1 else "")


def _text_summary(d: Derivation, raw: Derivation) -> list[str]:
    """The delta form's sum, for too many paths (``d``: with the names as shown; ``raw``: as in the file)."""
    fix = (_("--max-paths {n} lists them").format(n=d.n_paths) if d.n_paths < 10**6
           else _("far too many to list one by one"))
    out = [_("Too many paths to list ({fix}); the delta form sums them:").format(fix=fix),
           _("δ(n) = ∂{loss}/∂n, handed down from {loss} node by node: δ(n) = Σ over n's children c of "
             "δ(c) · ∂c/∂n.").format(loss=d.loss), ""]
    rules = _child_rules(d.hops)
    out.append(_("∂{loss}/∂{param} = Σ over the examples and the nodes c that use {param} of "
                 "δ(c) · ∂c/∂{param}, with {rules}").format(
        loss=d.loss, param=d.param,
        rules=", ".join(f"{partial(c, raw.param)} = {symbolic.text(f.symbolic, shown)}" for c, f in rules.items())))
    c = _shown(next(iter(rules))) if len(rules) == 1 else "c"  # name the one child in the header
    rows = [[str(h.example), shown(h.factor.node), number(h.delta), number(h.factor.value), number(h.product)]
            for h in d.hops[:MAX_ROWS]]
    out += aligned_rows([_("example"), _("node c"), f"δ({c})", f"∂{c}/∂{d.param}", _("product")], rows)
    if len(d.hops) > MAX_ROWS:
        out.append(_("  … {n} more rows").format(n=len(d.hops) - MAX_ROWS))
    out += [_("  sum = {total}").format(total=number(d.total)), ""]
    if d.deltas:
        out.append(_("δ = ∂{loss}/∂net of the net inputs on the paths, summed over the batch:").format(loss=d.loss))
        items = list(d.deltas.items())
        out += aligned_rows(["net", "δ"], [[shown(name), number(v)] for name, v in items[:MAX_ROWS]])
        if len(items) > MAX_ROWS:
            out.append(_("  … {n} more").format(n=len(items) - MAX_ROWS))
        out.append("")
    return out


# -- LaTeX and Markdown ------------------------------------------------------------------
def _math_blocks(d: Derivation) -> list[tuple[str, list[str]]]:
    """(a line of prose, the rows of an aligned block) for each part of the derivation."""
    lhs = _partial(d.loss, d.param, latex=True)
    blocks = []
    for k, path in enumerate(d.paths or [], start=1):
        route = r" \to ".join(latex_name(n) for n in path.nodes)
        label = (_("The path") if d.n_paths == 1 else _("Path {k}").format(k=k)) + (
            _(" (example {example})").format(example=path.example) if len(d.examples) > 1 else "")
        lines = _steps(path, latex=True)
        head = f"{lhs} &= " if d.n_paths == 1 else ("&" if len(path.factors) > 1 else "&= ")
        prose = _("{label}: {route}").format(label=label, route=f"${route}$")
        blocks.append((prose, [f"{head}{lines[0]}", *(f"&= {line}" for line in lines[1:])]))
    if d.paths is not None and d.n_paths > 1:
        products = [p.product for p in d.paths]
        terms = " + ".join(_in_chain(latex_number(v), None, True) for v in products)
        rows = [f"{lhs} &= {terms}", f"&= {latex_number(d.total)}"] if len(products) <= 8 else [
            f"{lhs} &= {latex_number(d.total)}"]
        blocks.append((_("The sum over the {n} paths:").format(n=d.n_paths), rows))
    return blocks


def _summary_rows(d: Derivation) -> tuple[list[str], list[list[str]]]:
    header = [_("example"), _("node {c}").format(c="$c$"), r"$\delta(c)$",
              rf"$\partial c / \partial {latex_name(d.param)}$", _("product")]
    rows = [[str(h.example), f"${latex_name(h.factor.node)}$", f"${latex_number(h.delta)}$",
             f"${latex_number(h.factor.value)}$", f"${latex_number(h.product)}$"] for h in d.hops[:MAX_ROWS]]
    return header, rows


def _summary_prose(d: Derivation, count: str) -> list[str]:
    """The delta form in words; ``count``: how many paths, as the format writes it."""
    loss, param = latex_name(d.loss), latex_name(d.param)
    rules = ", ".join(f"${_partial(c, d.param, True)} = {_symbolic(f, True)}$" for c, f in _child_rules(d.hops).items())
    return [_("{count}: too many to list. The delta form sums them: "
              "{delta} is handed down from {loss} node by node, "
              "{rule} over the children {c} of {n}, and "
              "{gradient} over the examples and "
              "the nodes {c} that use {param}, with {rules}.").format(
        count=count, delta=rf"$\delta(n) = \partial {loss} / \partial n$", loss=f"${loss}$",
        rule=r"$\delta(n) = \sum_c \delta(c) \, \partial c / \partial n$", c="$c$", n="$n$",
        gradient=rf"$\frac{{\partial {loss}}}{{\partial {param}}} = "
                 rf"\sum \delta(c) \, \frac{{\partial c}}{{\partial {param}}}$",
        param=f"${param}$", rules=rules)]


def markdown(d: Derivation, heading: str = "####") -> str:
    # the names in prose escaped (the math goes through latex_name): no raw HTML, whatever a name holds
    prose = dataclasses.replace(d, loss=markdown_text(_shown(d.loss)), param=markdown_text(_shown(d.param)),
                                example_loss=markdown_text(_shown(d.example_loss)))
    out = [f"{heading} " + _("∂{loss}/∂{param} at {where}").format(loss=prose.loss, param=prose.param,
                                                                    where=_where(d)), ""]
    if note := _batch_note(prose):
        out += [note, ""]
    if d.paths is None:
        out += _summary_prose(d, _count(prose)) + [""]
        header, rows = _summary_rows(d)
        out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(r) + " |" for r in rows] + [f"| {_('sum')} | | | | ${latex_number(d.total)}$ |", ""]
        if d.deltas:
            out += [_("{delta} of the net inputs on the paths, summed over the batch:").format(
                delta=rf"$\delta = \partial {latex_name(d.loss)} / \partial \mathrm{{net}}$"),
                "", "| net | δ |", "|---|---|"]
            out += [f"| ${latex_name(k)}$ | ${latex_number(v)}$ |" for k, v in list(d.deltas.items())[:MAX_ROWS]]
            out.append("")
    else:
        out += [_("{count}.").format(count=_count(prose)), ""]
        for line, rows in _math_blocks(d):
            out += [line, "", "$$", r"\begin{aligned}", " \\\\\n".join(rows), r"\end{aligned}", "$$", ""]
    out += [_check(prose, N_("**Check:**")), ""]
    return "\n".join(out)


def latex(d: Derivation) -> str:
    """A LaTeX fragment for a document whose preamble has ``\\usepackage{amsmath}``."""
    out = [latex_comment("% scalarnet: " + _("the derivation of d{loss}/d{param} at {where}").format(
               loss=d.loss, param=d.param, where=_where(d)).replace("–", "-")), _preamble(), ""]
    if (n := len(d.examples)) > 1:
        out += [_("{loss} is the mean of {example_loss} over the batch of {n} examples: every path starts with "
                  "{start}.").format(loss=_in_math(d.loss), example_loss=_in_math(d.example_loss),
                                     n=n, start=rf"$\partial {latex_name(d.loss)} / \partial "
                                                rf"{latex_name(d.example_loss)} = 1/{n}$"), ""]
    if d.paths is None:
        out += [_summary_prose(d, _count(d, _in_math))[0], ""]
        header, rows = _summary_rows(d)
        out += [r"\begin{tabular}{rlrrr}", " & ".join(header) + r" \\ \hline"]
        out += [" & ".join(r) + r" \\" for r in rows]
        out += [_("sum") + rf" & & & & ${latex_number(d.total)}$ \\", r"\end{tabular}", ""]
    else:
        out += [_("{count}.").format(count=_count(d, _in_math)), ""]
        for prose, rows in _math_blocks(d):
            out += [prose, r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}", ""]
    tolerance = rf"$10^{{{int(f'{TOLERANCE:e}'.split('e')[1])}}}$"
    verdict = _("equal to within {tolerance}").format(tolerance=tolerance) if d.agrees else _("NOT EQUAL")
    out += [_("Check: the engine's gradient is {gradient}; the sum over the paths is {total}, {verdict}.").format(
        gradient=f"${latex_number(d.gradient)}$", total=f"${latex_number(d.total)}$", verdict=verdict), ""]
    return "\n".join(out)


def _in_math(name: str) -> str:
    """A name in the words of a LaTeX document: set in math."""
    return f"${latex_name(name)}$"


def _preamble() -> str:
    """What a LaTeX document needs for the fragment (Chinese words: a CJK package too)."""
    return _("% needs {package} in the preamble").format(package=r"\usepackage{amsmath}")


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
        with using_language("en"):
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
    return f"{shown(line.symbol)} = {partial(f.loss, line.name)}"


def _delta_rows(f: DeltaForm, values: dict[str, list[float]], latex: bool) -> list[tuple[str, list[str]]]:
    """(the left-hand side, the right-hand sides: formula, numbers, result) per line shown."""
    rows = []
    listed = [line for line in f.lines if line.name == f.param][:MAX_DELTAS]
    listed = [line for line in f.lines if line.name != f.param][:MAX_DELTAS] + listed
    for line in sorted(listed, key=f.lines.index):
        at = _delta_values(f, line.example, values, f.examples)
        expr = (symbolic.latex(line.expr, _delta_latex_name) if latex else symbolic.text(line.expr, shown))
        numbers = _delta_numbers(line, at, latex)
        result = (latex_number if latex else number)(line.value)
        rows.append((_delta_lhs(f, line, latex), [expr] + ([numbers] if numbers else []) + [result]))
    return rows


def _delta_latex_name(name: str) -> str:
    return rf"\delta_{{{latex_name(name[2:])}}}" if name.startswith("δ_") else latex_name(name)


def _delta_check(f: DeltaForm, head: str = N_("check:"), name: Callable[[str], str] = _shown) -> str:
    return _("{check} the engine's gradient ∂{loss}/∂{param} = {gradient}; the delta form gives "
             "{total}: {verdict}").format(check=_(head), loss=name(f.loss), param=name(f.param),
                                          gradient=number(f.gradient), total=number(f.total),
                                          verdict=_verdict(f.agrees))


def _delta_head(f: DeltaForm, name: Callable[[str], str] = _shown) -> str:
    """The heading; ``name`` writes the loss and the parameter (Markdown escapes them)."""
    return _("∂{loss}/∂{param} at step {step}, {examples}, in the delta form: "
             "δ = ∂{loss}/∂net of each neuron on the way, from the loss down").format(
        loss=name(f.loss), param=name(f.param), step=f.step, examples=which_examples(f.examples))


def delta_text(f: DeltaForm, values: dict[str, list[float]]) -> str:
    out = [_delta_head(f), ""]
    hidden = len(f.lines) - len(_delta_rows(f, values, False))
    for lhs, rhs in _delta_rows(f, values, latex=False):
        out.append(f"  {lhs} = {rhs[0]}")
        out += [" " * (display_width(lhs) + 3) + f"= {r}" for r in rhs[1:]]
    if hidden:
        out.append(_("  … {n} more lines (--format json lists them all)").format(n=hidden))
    out += ["", _delta_check(f)]
    return "\n".join(out) + "\n"


def delta_markdown(f: DeltaForm, values: dict[str, list[float]], heading: str = "####") -> str:
    rows = [f"{lhs} &= " + " \\\\\n&= ".join(rhs) for lhs, rhs in _delta_rows(f, values, latex=True)]
    prose = lambda n: markdown_text(_shown(n))  # noqa: E731
    return "\n".join([f"{heading} {_delta_head(f, prose)}", "", "$$", r"\begin{aligned}", " \\\\\n".join(rows),
                      r"\end{aligned}", "$$", "", _delta_check(f, N_("**Check:**"), prose), ""])


def delta_latex(f: DeltaForm, values: dict[str, list[float]]) -> str:
    rows = [f"{lhs} &= " + " \\\\\n&= ".join(rhs) for lhs, rhs in _delta_rows(f, values, latex=True)]
    head = "% scalarnet: " + _("d{loss}/d{param} in the delta form; needs {package}").format(
        loss=f.loss, param=f.param, package=r"\usepackage{amsmath}")
    return "\n".join([latex_comment(head), r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}", "",
                      _("Check: the engine's gradient is {gradient}; the delta form gives {total}.").format(
                          gradient=f"${latex_number(f.gradient)}$", total=f"${latex_number(f.total)}$"), ""])


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
