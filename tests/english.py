"""English interface words left in text meant to be Chinese (``--lang zh`` output).

Names and formulas don't count: the exercise's own names (w1, out_h1, E_total …), the
functions formulas use, file names, option flags, numbers, and the names of formats and
tools, which Chinese text writes in Latin letters too (JSON, SVG, PyTorch …).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from scalarnet.spec import load
from scalarnet.spec.bundled import resolve

# written in Latin letters in Chinese text as well
NAMES = {
    # formats and tools
    "JSON", "SVG", "PNG", "PDF", "GIF", "APNG", "WebP", "webp", "apng", "gif", "svg", "png", "pdf", "dot", "DOT",
    "HTML", "html", "CSV", "csv", "TOML", "toml", "LaTeX", "latex", "Markdown", "markdown", "text", "json",
    "PyTorch", "torch", "numpy", "NumPy", "Graphviz", "graphviz", "matplotlib", "pdflatex", "Pillow", "pip",
    "scalarnet", "micrograd", "Python", "python", "apt", "get", "install", "fonts", "noto", "cjk", "Noto", "CJK",
    "scikit", "learn", "tqdm", "wasmtime", "wasi", "resvg", "cairosvg", "UTF", "LANG", "SCALARNET_LANG",
    "CPU", "CI", "MOOC", "BP", "SGD", "MSE", "ReLU", "ID", "id",
    # people and places the seeds name (Matt Mazur's tutorial)
    "Matt", "Mazur",
    "amsmath", "ctex", "CJKutf8", "xelatex",  # LaTeX packages a Chinese document uses, and a TeX engine
    # functions and symbols of formulas
    "sigmoid", "tanh", "relu", "exp", "log", "ln", "softmax", "logsumexp", "max", "min", "abs", "sqrt", "sum",
    "mean", "inf", "nan", "NaN", "pi", "net", "out", "in", "grad", "new", "delta",
    # the engines' names (a JSON value too)
    "scalar", "matrix", "compiled", "en", "zh",
}

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NOT_WORDS = re.compile(
    r"(?:\S*[/\\]\S*)"  # paths, URLs
    r"|(?:\S+\.(?:toml|py|png|svg|pdf|dot|gif|html|json|csv|md|tex|webp|apng)\b)"  # file names
    r"|(?:--?[A-Za-z][\w-]*)"  # option flags
    r"|(?:\d[\d.]*e[+-]?\d+)"  # 1e-10
    r"|(?:\\[A-Za-z]+)"  # LaTeX commands
    r"|(?:&[a-z]+;)"  # HTML entities
)


def exercise_names(exercise: str) -> set[str]:
    """Every name an exercise defines: its params, inputs, targets and named nodes (as
    ``step --json`` lists them), the words of its formulas, and the pieces of bracketed
    names (W1[0,1] -> W1)."""
    from scalarnet.engines.scalar import Exercise

    spec = load(resolve(exercise))
    record, _trace = Exercise(spec).run_step(update=False)
    doc = record.to_json()
    names: set[str] = set(spec.params) | set(spec.inputs) | set(spec.targets)
    for key in ("values", "grads", "params", "node_grads"):
        names |= {w for name in doc.get(key, {}) for w in WORD.findall(name)}
    for formula in (spec.formulas or {}).values():
        names |= set(WORD.findall(formula))
    names |= set(spec.graph or {})
    from scalarnet.views.typography import name as shown  # the views write w1 as w₁, alpha1 as alpha₁

    return names | {w for name in names for w in WORD.findall(shown(name))}


# text quoted in a message: a value or key from the file, a formula, the reason another
# program gave ('…', "…", `…`, “…”, 「…」), each within one line
QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`|“[^”\n]*”|「[^」\n]*」")


def english_words(text: str, names: Iterable[str] = (), quoted: bool = False) -> list[str]:
    """The English words of ``text`` that are neither names nor in NAMES, in order (single
    letters are symbols: x, y, w, E). ``quoted``: words inside quotes don't count either (error
    messages quote the file's keys, values and formulas)."""
    allowed = NAMES | set(names)
    stripped = NOT_WORDS.sub(" ", QUOTED.sub(" ", text) if quoted else text)
    return [w for w in WORD.findall(stripped)
            if len(w.strip("_")) > 1 and w not in allowed and not re.fullmatch(r"[A-Za-z]_?\d+\w*", w)]
