"""``scalarnet serve``: a live page of one exercise on this machine, recomputed as its values
move and as its file is saved (Starlette and uvicorn: ``pip install 'scalarnet[serve]'``)."""

from __future__ import annotations

import argparse
import socket
import sys

from ..i18n import _, language, using_language
from .common import command, error, load_exercise, lr_argument, positive, unknown_param

LOCAL = "127.0.0.1"


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # noqa: F401 - only to know it is there
        from starlette.applications import Starlette  # noqa: F401
    except ImportError:
        return error(_("scalarnet serve needs Starlette and uvicorn: pip install 'scalarnet[serve]'"))
    from ..spec.bundled import resolve
    from ..views.live.app import LOCAL_HOSTS, create_app
    from ..views.live.folder import Folder

    if unknown_param(load_exercise(args), args.param):
        return 2
    folder = Folder(resolve(args.file), steps=args.steps, param=args.param, learning_rate=args.lr)
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.host, args.port))
        sock.listen(128)  # from now on a browser's connection waits for the server instead of being refused
    except OSError as err:
        return error(_("cannot listen on {host} port {port}: {reason}; try another --port, or --port 0 for a free "
                       "one").format(host=args.host, port=args.port, reason=err.strerror or err))
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{port}/"
    print(url, flush=True)  # one line: tests and scripts read where it serves
    print(_("scalarnet: serving {file} on {url}; Ctrl-C stops").format(file=folder.default, url=url), file=sys.stderr)
    if args.open:
        import webbrowser

        webbrowser.open(url)
    app = create_app(folder, hosts=sorted({*LOCAL_HOSTS, args.host}))
    with using_language(language()):  # decided once: the messages need not look at the environment per request
        _serve(app, sock)
    return 0


def _serve(app, sock: socket.socket) -> None:
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    uvicorn.Server(config).run(sockets=[sock])  # Ctrl-C: uvicorn stops, then raises KeyboardInterrupt
    # only a signal stops the server; where SIGINT was ignored (a job started in the background)
    # uvicorn's re-raise does nothing and it returns: stopped all the same
    raise KeyboardInterrupt


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "serve", _("a live page of the exercise: move any value, or save the file, and every number "
                                "follows"), _(
        "Serve a page on this machine with the diagram, the step table, the narration and the derivation of a "
        "parameter, and a slider for every parameter, input, target and the learning rate. Each change is "
        "recomputed at once in the same layout; saving the file reloads the page. Prints the page's address. "
        "Needs pip install 'scalarnet[serve]'."))
    p.add_argument("--port", type=int, default=8000, help=_("the port to listen on (default 8000; 0: any free one)"))
    p.add_argument("--host", default=LOCAL, help=_("the address to listen on (default 127.0.0.1: this machine only)"))
    p.add_argument("--open", action="store_true", help=_("open the page in the web browser"))
    p.add_argument("--steps", type=positive, default=3, help=_("training steps to show (default 3)"))
    p.add_argument("--param", help=_("the parameter whose derivation the page shows first"))
    lr_argument(p)
    p.set_defaults(run=run)
