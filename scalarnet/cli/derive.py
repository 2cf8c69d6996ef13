"""``scalarnet derive``: the chain rule of a parameter's gradient, path by path, or in the delta form."""

from __future__ import annotations

import argparse
import sys

from ..i18n import _
from .common import command, error, json_argument, load_exercise, lr_argument, positive, print_json, typed_name


def run(args: argparse.Namespace) -> int:
    """Write out the chain rule for one parameter's gradient (or every one's) at one step."""
    from ..analysis.derive import StepDerivations
    from ..spec.limits import check_analysable
    from ..views import derivation

    ex = load_exercise(args, check_analysable)
    if args.all and args.param is not None:
        return error(_("give --param NAME or --all, not both"))
    if args.all and not ex.params:
        return error(_("--all derives every parameter, and {path} has none: give --node NAME for the gradient of "
                       "an input or any named node").format(path=ex.spec.path))
    steps = StepDerivations.at(ex, args.step)
    if args.param is None and not args.all:
        return error(_("say which gradient: --param NAME (or --all), or --node NAME; {names}").format(
            names=_known_names(steps)))
    if args.param is not None and args.param not in steps.names:
        import difflib

        close = difflib.get_close_matches(args.param, steps.names, n=1)
        hint = " " + _("(did you mean {name}?)").format(name=close[0]) if close else ""
        return error(_("{name}: not a parameter or named node of {path}{hint}; {names}").format(
            name=args.param, path=ex.spec.path, hint=hint, names=_known_names(steps)))
    fmt = "json" if args.json else args.format
    if args.delta:
        from ..analysis.derive import delta_form

        forms = [delta_form(steps, name) for name in (steps.params if args.all else [args.param])]
        if fmt == "json":
            print_json(derivation.delta_json(forms[0]) if not args.all else {
                "step": args.step, "derivations": [derivation.delta_json(f) for f in forms]})
        else:
            sys.stdout.write("\n".join(derivation.render_delta(f, steps.record.values, fmt) for f in forms))
        return 0 if all(f.agrees for f in forms) else 1
    found = [steps.derive(name, args.max_paths) for name in (steps.params if args.all else [args.param])]
    if fmt == "json":
        doc = derivation.to_json(found[0]) if not args.all else {
            "step": args.step, "derivations": [derivation.to_json(d) for d in found]}
        print_json(doc)
    else:
        sys.stdout.write("\n".join(derivation.render(d, fmt) for d in found))
    return 0 if all(d.agrees for d in found) else 1


def _known_names(steps) -> str:
    """What can be derived, in words, every list non-empty: the parameters, then the other named nodes."""
    params = [n for n in steps.names if n in steps.params]
    others = [n for n in steps.names if n not in steps.params]
    parts = [_("the parameters are {names}").format(names=", ".join(params))] if params else [
        _("there are no parameters")]
    if others:
        parts.append(_("the other named nodes (--node) are {names}").format(names=", ".join(others)))
    return "; ".join(parts)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "derive", _("write out the chain rule for a parameter's gradient, path by path"), _(
        "Write out the chain rule for a parameter's gradient at one training step: every path from the loss "
        "through the named nodes, each local derivative as a symbol, a formula and a number, and a check "
        "against the engine."))
    p.add_argument("--param", "--node", dest="param", metavar="NAME", type=typed_name, help=_(
        "the parameter, e.g. w1, or any named node: an input, a target, a hidden value"))
    p.add_argument("--all", action="store_true", help=_("every parameter"))
    p.add_argument("--step", type=positive, default=1, help=_("the training step, as `step --json` numbers them "
                                                                  "(default 1)"))
    p.add_argument("--format", choices=("text", "markdown", "latex", "json"), default="text",
                   help=_("text for a terminal (default), markdown with LaTeX, a LaTeX fragment, or JSON"))
    p.add_argument("--delta", action="store_true", help=_("the delta form, as the tutorials write it: "
                   "δ_o1 = (out_o1 − t1)·out_o1(1 − out_o1), then ∂E/∂w5 = δ_o1·out_h1"))
    p.add_argument("--max-paths", type=positive, default=64,
                   help=_("list at most this many paths; more are summarised in the delta form (default 64)"))
    lr_argument(p)
    json_argument(p, _("the same as --format json"))
    p.set_defaults(run=run)
