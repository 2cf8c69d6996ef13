"""``scalarnet check``: a learner's hand-written backprop function against the engine."""

from __future__ import annotations

import argparse
import math
import sys

from ..i18n import _
from .common import command, error, json_argument, positive, print_json


def run(args: argparse.Namespace) -> int:
    from ..teach import check

    for option in ("rtol", "atol"):
        value = getattr(args, option)
        if not 0.0 <= value < math.inf:  # also refuses nan
            return error(_("--{option} {value}: expected a finite number ≥ 0, e.g. --{option} 1e-6").format(
                option=option, value=value))
    if not 0.0 < args.timeout < math.inf:
        return error(_("--timeout {seconds}: expected a positive number of seconds, e.g. --timeout 10").format(
            seconds=args.timeout))
    from ..spec import load
    from ..spec.bundled import resolve

    spec = load(resolve(args.file))
    try:
        function = check.LearnerProcess(args.against, args.timeout)
        result = check.check(spec, function, args.step, args.rtol, args.atol)
    except check.CheckError as err:
        return error(str(err))
    if args.json:
        print_json(result.to_json())
    else:
        sys.stdout.write(check.report(result))
        if result.derivation:
            print("\n" + _("the correct derivation of {name}:").format(name=result.wrong[0]) + "\n" + result.derivation,
                  file=sys.stderr)
    return 0 if result.ok else 1


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "check", _("check a hand-written backprop function against the engine"), _(
        "Call your function with a dict of every named value of one training step and compare the dict of "
        "gradients it returns with the engine's, parameter by parameter. Exit status 1 when a gradient is "
        "wrong."))
    p.add_argument("--against", required=True, metavar="FILE.py:FUNCTION", help=_("your function, e.g. "
                                                                                "my_backprop.py:back_propagate"))
    p.add_argument("--step", type=positive, default=1, help=_("the training step to check (default 1)"))
    p.add_argument("--rtol", type=float, default=1e-6, help=_("relative tolerance (default 1e-6)"))
    p.add_argument("--atol", type=float, default=1e-10, help=_("absolute tolerance floor (default 1e-10)"))
    p.add_argument("--timeout", type=float, default=10.0, metavar="S",
                   help=_("seconds your code may run, loading and call together (default 10); it runs in a separate "
                        "process, stopped after that"))
    json_argument(p)
    p.set_defaults(run=run)
