"""``scalarnet compare``: every engine from the same weights, number by number."""

from __future__ import annotations

import argparse
import sys

from ..i18n import _
from .common import command, error, json_argument, lr_argument, positive, print_json


def run(args: argparse.Namespace) -> int:
    from ..analysis import compare
    from ..views import compare_table

    if not 0.0 < args.tol < 1.0:  # also refuses nan
        return error(_("--tol {tol}: expected a relative tolerance between 0 and 1, e.g. 1e-10").format(tol=args.tol))
    from ..spec import load
    from ..spec.bundled import resolve
    from ..spec.limits import check_analysable

    spec = load(resolve(args.file))
    check_analysable(spec, "compare")
    result = compare.compare(spec, args.steps, args.lr, args.tol)
    if args.json:
        print_json(result.to_json())
    else:
        sys.stdout.write(compare_table.table(result))
    return 0 if result.ok else 1


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "compare", _("run the exercise on every engine and compare the numbers"), _(
        "From the same weights, run N update steps on every engine available (scalar; matrix for [network] "
        "files; PyTorch when installed) and compare every loss, gradient and updated parameter pair by pair; "
        "central finite differences of the first step are shown beside them. Exit status 1 when two engines "
        "differ."))
    p.add_argument("--steps", type=positive, default=1, help=_("how many update steps (default 1)"))
    p.add_argument("--tol", type=float, default=1e-10, help=_("engines agree when |a − b| ≤ tol·max(1, |a|, |b|) "
                                                           "(default 1e-10)"))
    lr_argument(p)
    json_argument(p)
    p.set_defaults(run=run)
