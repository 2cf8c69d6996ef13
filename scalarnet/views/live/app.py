"""The server of ``scalarnet serve``: a Starlette app on one folder's exercise files.

    GET  /                 the page of the exercise (?file=NAME: another file of the folder)
    GET  /api/file         whether the file changed: its version, or its error in the CLI's words
    POST /api/state        everything the page shows at the values sent
    POST /api/picture      one frame's picture at the values sent

The page sends only the values that differ from the file's, so every state can be
recomputed from the file alone; the server keeps nothing per visitor. Requests for a host
other than the one served are refused (a web page elsewhere cannot reach the server through
a name of its own that resolves to 127.0.0.1)."""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ...engines.record import ExerciseError
from ...i18n import _
from .folder import Folder, Refused
from .page import page, refused
from .session import Live, LiveError, cli_words

LOCAL_HOSTS = ("127.0.0.1", "localhost")


def create_app(folder: Folder, hosts: Sequence[str] = LOCAL_HOSTS) -> Starlette:
    """The app serving ``folder``'s exercises to requests addressed to one of ``hosts``."""

    def session(name: str | None) -> Live:
        return folder.open(name or None)

    def home(request: Request) -> HTMLResponse:
        name = request.query_params.get("file")
        try:
            live = session(name)
        except Refused as err:
            return HTMLResponse(refused(str(err)), status_code=403)
        return HTMLResponse(page(live, name or folder.default, folder.names()))

    def file_state(request: Request) -> JSONResponse:
        try:
            return JSONResponse(session(request.query_params.get("file")).poll())
        except Refused as err:
            return JSONResponse({"error": str(err)}, status_code=403)

    async def state(request: Request) -> JSONResponse:
        return await _answer(request, lambda live, body: live.state(
            body.get("values") or {}, body.get("param"), _position(body)))

    async def picture(request: Request) -> JSONResponse:
        return await _answer(request, lambda live, body: live.picture(body.get("values") or {}, str(body.get("key"))))

    async def _answer(request: Request, work) -> JSONResponse:
        try:
            body = await request.json()
            if not isinstance(body, dict) or not isinstance(body.get("values") or {}, dict):
                raise LiveError(_("expected a JSON object with the values by name"))
        except ValueError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        try:
            live = session(body.get("file"))
        except Refused as err:
            return JSONResponse({"error": str(err)}, status_code=403)
        try:
            started = time.perf_counter()
            answer = await run_in_threadpool(work, live, body)
            spent = (time.perf_counter() - started) * 1000  # for the page's timings (Server-Timing)
            return JSONResponse(answer, headers={"Server-Timing": f"compute;dur={spent:.1f}"})
        except LiveError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        except ExerciseError as err:  # e.g. a learning rate that makes the loss diverge: say so, keep the picture
            return JSONResponse({"error": cli_words(err), "version": live.version})
        except Exception as err:  # a bug: one line on the page (which keeps its picture), the traceback here
            traceback.print_exc()
            return JSONResponse({"error": cli_words(RuntimeError(f"{type(err).__name__}: {err}"))}, status_code=500)

    def no_icon(request: Request) -> Response:
        return Response(status_code=204)

    routes = [Route("/", home), Route("/favicon.ico", no_icon), Route("/api/file", file_state),
              Route("/api/state", state, methods=["POST"]), Route("/api/picture", picture, methods=["POST"])]
    return Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))])


def _position(body: dict) -> int | tuple[int, int]:
    """Where the page is: (step, frame in it) from its address, or a frame counted from 0."""
    try:
        if body.get("step") is not None:
            return int(body["step"]), int(body.get("frame") or 1)
        return int(body.get("at") or 0)
    except (TypeError, ValueError):
        raise LiveError(_("step and frame: expected whole numbers")) from None
