"""``scalarnet compare`` as tables: every pair of engines, every step's loss, the gradients and
parameters that differ most, and the finite differences beside them."""

from __future__ import annotations

from ..analysis.compare import FD_STEP, SHOWN, Comparison
from ..i18n import _
from .table import aligned_rows, number


def table(c: Comparison) -> str:
    """The comparison as a person reads it: the pairs, the losses, the gradients, the
    parameters and the finite differences."""
    names = [r.name for r in c.runs]
    out = [_("══ compare · {title} · {steps} step(s) on {engines} ══").format(
        title=c.title, steps=c.steps, engines=", ".join(names))]
    out += ["  " + _("({engine}: {why})").format(engine=name, why=_(why)) for name, why in c.skipped.items()]
    out += ["", _("agreement per pair (tolerance |a − b| ≤ {tol}·max(1, |a|, |b|))").format(tol=f"{c.tolerance:g}")]
    rows = [[_("{a} vs {b}").format(a=p.a, b=p.b), f"{p.max_abs:.3g}", f"{p.max_rel:.3g}", p.worst,
             _("ok") if p.ok else _("DIFFERS first at {quantity}").format(quantity=p.first_offending_shown())]
            for p in c.pairs]
    out += aligned_rows([_("pair"), _("max |Δ|"), _("max rel"), _("worst"), ""], rows)
    out += ["", _("loss per step")]
    rows = [[str(k + 1), *(number(r.losses[k]) for r in c.runs)] for k in range(min(c.steps, SHOWN))]
    out += aligned_rows([_("step"), *names], rows)
    for kind, title in (("grad", _("gradients ∂L/∂p")), ("param", _("parameters after the update"))):
        out += ["", _("{title}: {engine}'s value at the last step, and the largest |Δ| over the steps per pair").format(
            title=title, engine=names[0])]
        out += _quantity_rows(c, kind)
    out += ["", _("central finite differences of step 1 (h = {h}·max(1, |p|); reported, not part of ok)").format(
        h=f"{FD_STEP:g}")]
    fd = c.fd_rows()
    shown = sorted(fd, key=lambda n: -fd[n]["abs_diff"])[:SHOWN] if len(fd) > SHOWN else list(fd)
    rows = [[n, number(fd[n]["engine"]), number(fd[n]["fd"]), f"{fd[n]['abs_diff']:.2g}",
             "" if fd[n]["ok"] else (_("kink: ReLU at 0, ReLU′(0) = 0 taken") if fd[n]["kink"] else _("differs"))]
            for n in shown]
    out += aligned_rows([_("param"), names[0], _("finite difference"), "|Δ|", _("note")], rows)
    if len(fd) > SHOWN:
        out.append("  " + _("(the {n} largest of {total}; --json shows them all)").format(n=SHOWN, total=len(fd)))
    every = len(c.runs[0].grads[0])
    if len(fd) < every:
        out.append("  " + _("(finite differences of {n} of the {total} parameters, spread evenly: each takes two "
                            "passes of the whole network)").format(n=f"{len(fd):,}", total=f"{every:,}"))
    if c.kinks:
        kinks = c.kinks_shown()
        out += ["", _("kinks in step 1 ({n}): ").format(n=len(kinks)) + "; ".join(kinks[:5])
                + (" …" if len(kinks) > 5 else ""),
                "  " + _("at a kink the one-sided slopes differ and the central difference lands between them")]
    out += ["", _("ok: every engine agrees") if c.ok else _("DIFFERS: first at {quantity}").format(
        quantity=c.first_offending_shown())]
    return "\n".join(out) + "\n"


def _quantity_rows(c: Comparison, kind: str) -> list[str]:
    params = list(c.runs[0].grads[0])
    last = c.runs[0].grads[-1] if kind == "grad" else c.runs[0].params[-1]
    per_run = {r.name: getattr(r, kind + "s") for r in c.runs}  # looked up once, not per parameter
    diffs = {n: [max(abs(per_run[p.a][k][n] - per_run[p.b][k][n]) for k in range(c.steps)) for p in c.pairs]
             for n in params}
    shown = sorted(params, key=lambda n: -max(diffs[n], default=0.0))[:SHOWN] if len(params) > SHOWN else params
    rows = [[n, number(last[n]), *(f"{d:.2g}" for d in diffs[n])] for n in shown]
    out = aligned_rows([_("param"), c.runs[0].name, *(f"|{p.a} − {p.b}|" for p in c.pairs)], rows)
    if len(params) > SHOWN:
        out.append("  " + _("(the {n} largest differences of {total} parameters; --json has the pairs' maxima)").format(
            n=SHOWN, total=len(params)))
    return out
