"""`scalarnet serve`: the live page's server (Starlette's TestClient, in-process), the file it
follows, the notebook's live widget, and one real run in headless Chromium."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from scalarnet import cli
from scalarnet.spec.bundled import resolve
from scalarnet.views import render
from scalarnet.views.svg_patch import tokens

pytest.importorskip("starlette", reason="starlette is not installed (pip install 'scalarnet[serve]')")
pytest.importorskip("httpx", reason="httpx is not installed (Starlette's TestClient needs it)")

with warnings.catch_warnings():  # Starlette 1.x would rather have httpx2; httpx works with every version
    warnings.filterwarnings("ignore", message=".*httpx2")
    from starlette.testclient import TestClient  # noqa: E402

from scalarnet.views.live.app import create_app  # noqa: E402
from scalarnet.views.live.folder import Folder  # noqa: E402
from scalarnet.views.live.session import Live  # noqa: E402

MAZUR = resolve("mazur-2-2-2")
GRAD_W5 = 0.0821670406  # README: ∂E_total/∂w5 of Mazur's first step


def needs_renderer() -> None:
    if render.available_backends() == ["none"]:
        pytest.skip("no Graphviz renderer (apt-get install graphviz)")


def copy_of(tmp_path: Path, name: str = "mazur-2-2-2") -> Path:
    path = tmp_path / f"{name}.toml"
    shutil.copy(resolve(name), path)
    return path


def with_value(path: Path, name: str, value: float, out: Path | None = None) -> Path:
    """The file with ``name = value`` in [params] (written whole, as an editor saves)."""
    text = re.sub(rf"(?m)^{name}\s*=\s*[-\d.e]+", f"{name} = {value!r}", path.read_text(encoding="utf-8"))
    out = out or path
    temporary = out.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, out)
    return out


def step_json(path: Path, capsys) -> dict:
    """What `scalarnet step FILE --json` says of the first step."""
    capsys.readouterr()
    assert cli.main(["step", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["steps"][0]


def cli_error(args: list[str], capsys) -> str:
    capsys.readouterr()
    assert cli.main(args) == 2
    return capsys.readouterr().err.strip()


@pytest.fixture
def client(tmp_path):
    needs_renderer()
    folder = Folder(copy_of(tmp_path), steps=2, param="w5")
    with TestClient(create_app(folder), base_url="http://127.0.0.1") as c:
        c.folder = folder
        yield c


def state(client, values=None, **where) -> dict:
    answer = client.post("/api/state", json={"values": values or {}, "param": "w5", **where})
    assert answer.status_code == 200, answer.text
    return answer.json()


def cell(table: str, name: str, column: str) -> float:
    """A number of the step table: column v (value), g (gradient) or a (after the update)."""
    row = re.search(rf'<tr data-name="{name}"[^>]*>(.*?)</tr>', table).group(1)
    return float(re.search(rf'<td class="{column}">([^<]*)</td>', row).group(1))


def box_texts(svg: str, name: str) -> list[str]:
    """The lines of text in the diagram's box of the named node."""
    group = re.search(rf'<g id="[^"]+" class="node[^"]*"><title>[^<]*</title><g id="[^"]*"><a xlink:title="{name}"'
                      r".*?</g></g>", svg).group(0)
    return re.findall(r"<text[^>]*>([^<]*)</text>", group)


def test_the_page_has_a_control_for_every_value(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', page.text).group(1))
    keys = [c["key"] for c in data["controls"]]
    assert keys == ["w1", "w2", "w3", "w4", "b1", "w5", "w6", "w7", "w8", "b2", "i1", "i2", "t1", "t2", "@lr"]
    w5 = next(c for c in data["controls"] if c["key"] == "w5")
    assert (w5["kind"], w5["value"], w5["low"], w5["high"]) == ("param", 0.4, -1.0, 1.0)
    assert data["controls"][-1] | {"step": 0} == {"key": "@lr", "kind": "rate", "name": "η", "example": 0,
                                                 "value": 0.5, "low": 0.0, "high": 1.0, "step": 0}
    assert data["param"] == "w5" and data["version"] == 1
    assert "<script src" not in page.text  # the page's script and style are inline: nothing else is served


def test_a_change_recomputes_the_step_as_step_json_does(client, tmp_path, capsys):
    first = state(client, step=1, frame=1)
    assert first["frame"] == 0 and first["counts"] == [40, 40]  # the overview, then the viewer's 39 frames
    assert cell(first["table"], "w5", "g") == pytest.approx(GRAD_W5, rel=1e-9)
    moved = state(client, {"w5": 0.7}, step=1, frame=1)
    truth = step_json(with_value(MAZUR, "w5", 0.7, tmp_path / "at-0.7.toml"), capsys)
    grad = truth["grads"]["w5"]
    assert abs(grad - GRAD_W5) > 1e-3  # a real change
    assert cell(moved["table"], "w5", "g") == pytest.approx(grad, rel=1e-8)  # 9 digits
    assert cell(moved["table"], "w5", "a") == pytest.approx(truth["params"]["w5"], rel=1e-8)
    said = moved["frames"][0]["narration"]
    assert said.startswith("E_total = ") and said.endswith(f"= {grad:#.6g}")
    assert f"∂E_total/∂w₅ = {grad:.6g}" in box_texts(moved["picture"]["svg"], "w5")
    assert "∂E_total/∂w5" in moved["derivation"] and f"{grad:.9g}" in moved["derivation"]
    assert moved["values"]["w5"] == 0.7 and moved["values"]["w6"] == 0.45


def test_only_the_numbers_change_never_a_box(client):
    """One pinned layout: every frame's picture at other values has the very same tags (boxes,
    arrows, coordinates), only the texts differ."""
    for where in ({"step": 1, "frame": 1}, {"step": 1, "frame": 15}, {"step": 2, "frame": 3}):
        before = tokens(state(client, **where)["picture"]["svg"])
        after = tokens(state(client, {"w5": -0.9876, "i1": 0.731, "@lr": 0.01}, **where)["picture"]["svg"])
        assert before[1::2] == after[1::2]  # the tags
        assert before[0::2] != after[0::2]  # the texts


def test_new_numbers_patched_into_a_drawn_picture_read_as_graphviz_draws_them():
    """The same picture at other values, by patching texts, is byte for byte what Graphviz draws;
    a picture that differs in more than texts (another frame of the walk) is not patched."""
    needs_renderer()
    from scalarnet import Exercise
    from scalarnet.views.diagram import pictures
    from scalarnet.views.diagram.subject import from_exercise
    from scalarnet.views.live.patch import Template, svg_text
    from scalarnet.views.viewer import _inline

    def drawn(source: str) -> str:
        return _inline(render.render(source, "svg").decode("utf-8"))

    first = pictures(from_exercise(Exercise.load(MAZUR), 1), frames=True)
    moved = Exercise.load(MAZUR)
    moved.load_params({"w5": -0.61, "w1": 3.25, "b2": -0.004})
    again = pictures(from_exercise(moved, 1), frames=True, level=first[0].level, pinned=first[0].layout)
    for k in (0, 4, 11):
        template = Template(first[k].graph.source, drawn(first[k].graph.source))
        assert template.usable
        assert template.patch(again[k].graph.source) == drawn(again[k].graph.source)
        assert template.patch(again[k + 1].graph.source) is None  # the walk is elsewhere: another picture
    assert svg_text("a  -b <c> & 'd'") == "a &#160;&#45;b &lt;c&gt; &amp; &#39;d&#39;"


def test_frames_steps_and_pictures(client):
    walk = state(client, step=1, frame=15)
    frame = walk["frames"][walk["frame"] - walk["first"]]
    assert frame["label"] == "step 1 · backward walk: at net_o1" and frame["picture"] == "1:walk:3"
    assert frame["current"] and walk["highlight"]  # the box of the frame; the paths to w5
    second = state(client, step=2, frame=1)
    assert (second["step"], second["first"], second["frame"]) == (1, 40, 40)
    assert second["frames"][0]["label"].startswith("step 2 · ")
    one = client.post("/api/picture", json={"values": {"w5": 0.7}, "key": "2:update"})
    assert one.status_code == 200 and one.json()["svg"].startswith("<svg")
    assert client.post("/api/picture", json={"values": {}, "key": "9:update"}).status_code == 400


def test_bad_values_are_refused_with_a_reason(client):
    for values, words in (({"nope": 1}, "nope: not a parameter, input, target or the learning rate"),
                          ({"w5": "abc"}, "w5 = abc: expected a finite number"),
                          ({"w5": float("inf")}, None), ({"@lr": 0}, "@lr = 0: expected a learning rate above 0")):
        try:
            answer = client.post("/api/state", json={"values": values})
        except ValueError:  # infinity is not JSON: the client cannot even send it
            assert words is None
            continue
        assert answer.status_code == 400 and words in answer.json()["error"], answer.text
    overflow = client.post("/api/state", json={"values": {"w5": 1.7e308, "w6": 1.7e308}})
    assert overflow.status_code == 200  # a number the step cannot take: said as the command line says it
    assert overflow.json()["error"].startswith("scalarnet: error: ") and "the sum overflows" in overflow.json()["error"]
    assert client.post("/api/state", content=b"[1,").status_code == 400


def test_only_the_exercises_folder_is_served(client, tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-outside.toml"
    shutil.copy(MAZUR, outside)
    (tmp_path / "link.toml").symlink_to(outside)
    copy_of(tmp_path, "sigmoid-2-2-1")
    for name in ("../" + outside.name, str(outside), "link.toml", "sub/x.toml", "nothing.toml", "mazur-2-2-2.toml/.."):
        answer = client.get("/", params={"file": name})
        assert answer.status_code == 403, name
        assert client.get("/api/file", params={"file": name}).status_code == 403
        assert client.post("/api/state", json={"file": name, "values": {}}).status_code == 403
    assert "outside the exercise's folder" in html.unescape(client.get("/", params={"file": "link.toml"}).text)
    assert client.get("/", params={"file": "sigmoid-2-2-1.toml"}).status_code == 200
    assert client.get("/etc/passwd").status_code == 404
    with TestClient(create_app(client.folder), base_url="http://evil.example") as other:
        assert other.get("/").status_code == 400  # another host name: refused


def test_saving_the_file_reloads_and_a_broken_file_keeps_the_last_good_one(tmp_path, capsys):
    needs_renderer()
    path = copy_of(tmp_path)
    live = Live(path, steps=1, param="w5")
    before = live.state({}, "w5", 0)
    assert live.poll()["version"] == 1  # nothing changed
    with_value(path, "w6", 0.5)
    polled = live.poll()
    assert polled["version"] == 2 and polled["error"] == "" and live.relaid == []  # same boxes: same layout
    after = live.state({}, "w5", 0)
    assert cell(after["table"], "w6", "v") == 0.5
    assert tokens(after["picture"]["svg"])[1::2] == tokens(before["picture"]["svg"])[1::2]
    path.write_text(path.read_text(encoding="utf-8").replace("w5 = 0.40", "w5 = "), encoding="utf-8")
    broken = live.poll()
    said = cli_error(["step", str(path)], capsys)  # the command line's words
    assert broken["version"] == 2 and broken["error"] == said and said.startswith("scalarnet: error: ")
    assert cell(live.state({}, "w5", 0)["table"], "w6", "v") == 0.5  # the last good file still shows
    text = path.read_text(encoding="utf-8").replace("w5 = \n", "w5 = 0.40\n")
    path.write_text(text.replace('net_o1 = "w5*out_h1 + w6*out_h2 + b2"', 'net_o1 = "w5*out_h1 + w6*out_h2 + b2 + i1"'),
                    encoding="utf-8")
    fixed = live.poll()
    assert fixed["version"] == 3 and fixed["error"] == "" and live.relaid == [1]  # one more arrow: a new layout
    assert len(tokens(live.state({}, "w5", 0)["picture"]["svg"])) > len(tokens(after["picture"]["svg"]))


def test_serve_prints_its_address_and_stops_on_ctrl_c(monkeypatch, capsys):
    from scalarnet.cli import serve

    served = []

    def interrupted(app, sock):
        served.append(sock.getsockname())
        sock.close()
        raise KeyboardInterrupt

    monkeypatch.setattr(serve, "_serve", interrupted)
    assert cli.main(["serve", "sigmoid-2-2-1", "--port", "0", "--steps", "1"]) == 130
    out, err = capsys.readouterr()
    host, port = served[0][:2]
    assert host == "127.0.0.1" and port > 0 and out == f"http://127.0.0.1:{port}/\n"
    assert err.splitlines()[-1] == "scalarnet: interrupted"
    assert cli.main(["serve", "sigmoid-2-2-1", "--param", "w99"]) == 2
    assert "--param w99: not a parameter" in capsys.readouterr().err


def test_without_the_extra_serve_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn now fails
    assert cli.main(["serve", "mazur-2-2-2"]) == 2
    err = capsys.readouterr().err
    assert err == "scalarnet: error: scalarnet serve needs Starlette and uvicorn: pip install 'scalarnet[serve]'\n"


def test_serve_speaks_chinese(tmp_path, capsys):
    needs_renderer()
    from scalarnet.i18n import using_language

    with using_language("zh"):
        folder = Folder(copy_of(tmp_path, "sigmoid-2-2-1"), steps=1)
        with TestClient(create_app(folder), base_url="http://127.0.0.1") as c:
            page = c.get("/").text
            first = c.post("/api/state", json={"values": {}}).json()
    assert "参数" in page and "学习率" in page and "推导" in page
    assert first["frames"][0]["label"].startswith("第 1 步")
    assert "不是" in cli_error(["serve", "mazur-2-2-2", "--lang", "zh", "--param", "w99"], capsys)


def test_the_notebook_widget_recomputes_in_place(capsys, tmp_path):
    widgets = pytest.importorskip("ipywidgets", reason="ipywidgets is not installed")
    needs_renderer()
    from scalarnet.views.viewer import show

    box = show("mazur-2-2-2", live=True, param="w5")
    assert isinstance(box, widgets.VBox)
    (frame, choose), narration, problem, (controls, picture, side) = (
        box.children[0].children, box.children[1], box.children[2], box.children[3].children)
    sliders = {s.description: s for s in controls.children}
    assert list(sliders) == ["w1", "w2", "w3", "w4", "b1", "w5", "w6", "w7", "w8", "b2", "i1", "i2", "t1", "t2", "η"]
    assert f"= {GRAD_W5:#.6g}</b>" in narration.value and frame.max == 39
    shown = picture
    sliders["w5"].value = 0.7
    grad = step_json(with_value(MAZUR, "w5", 0.7, tmp_path / "at-0.7.toml"), capsys)["grads"]["w5"]
    assert shown is picture and f"{grad:#.6g}</b>" in narration.value  # the same widget, new numbers
    assert f"∂E_total/∂w₅ = {grad:.6g}" in box_texts(picture.value, "w5")
    assert f"{grad:.9g}" in side.value
    frame.value = 14
    assert "backward walk: at net_o1" in side.value
    choose.value = "w1"
    assert "∂E_total/∂w1 at step 1" in side.value
    sliders["η"].value = 0.0  # refused: the last good picture stays, with the reason
    assert "expected a learning rate above 0" in problem.value and f"{grad:.6g}" in picture.value


# -- the page in a real browser, started as the README says -----------------------------------------
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
BOXES = """() => [...document.querySelectorAll('#canvas g.node')]
  .filter((g) => g.querySelector('polygon, path, ellipse')).map((g) => {
  const r = g.getBoundingClientRect(); return [g.id, Math.round(r.x), Math.round(r.y), Math.round(r.width)]; })"""
W5_BOX = """() => [...document.querySelectorAll('#canvas g.node')].find((g) =>
  g.querySelector('a') && g.querySelector('a').getAttribute('xlink:title') === 'w5').textContent"""


def start_server(path: Path) -> tuple[subprocess.Popen, str]:
    """`scalarnet serve FILE --port 0` as the README says; the address is its first line."""
    server = subprocess.Popen([sys.executable, "-m", "scalarnet", "serve", str(path), "--port", "0", "--steps", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = server.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), server.stderr.read() if server.poll() is not None else url
    return server, url


def test_the_live_page_in_headless_chromium(tmp_path, capsys):
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("no Chromium here (apt-get install chromium)")
    needs_renderer()
    from playwright.sync_api import sync_playwright

    path = copy_of(tmp_path)
    server, url = start_server(path)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(30_000)
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url + "#param=w5")
            page.wait_for_function("document.body.dataset.state >= 1")
            boxes = page.evaluate(BOXES)
            assert len(boxes) > 20 and f"{GRAD_W5:.6g}" in page.evaluate(W5_BOX)
            # move w5's slider with the keyboard, as a person would: each key press is a change
            page.focus("#range-w5")
            for _ in range(25):
                page.keyboard.press("ArrowRight")
            w5 = float(page.input_value("#range-w5"))
            assert w5 == pytest.approx(0.425)
            page.wait_for_function(f"location.hash.includes('v.w5={w5}')")  # the address holds the state
            grad = step_json(with_value(MAZUR, "w5", w5, tmp_path / "at-w5.toml"), capsys)["grads"]["w5"]
            page.wait_for_function(f"document.getElementById('narration').textContent.endsWith('= {grad:#.6g}')")
            assert f"∂E_total/∂w₅ = {grad:.6g}" in page.evaluate(W5_BOX)  # the diagram
            shown = page.inner_text("#tables tr[data-name='w5'] td.g")
            assert float(shown) == pytest.approx(grad, rel=1e-8)  # the table
            assert page.evaluate(BOXES) == boxes  # no box moved
            page.click("#narration")  # the viewer's keys, once the slider has no focus
            page.keyboard.press("ArrowRight")
            page.wait_for_function("location.hash.startsWith('#step=1&frame=2&')")
            assert page.inner_text("#label") == "step 1 · forward pass: the given numbers"
            page.keyboard.press("ArrowLeft")
            # saving the file reloads the page with its numbers
            with_value(path, "w6", 0.5)
            page.wait_for_function("document.body.dataset.version === '2'")
            page.wait_for_function("document.querySelector('#tables tr[data-name=\"w6\"] td.v').textContent === '0.5'")
            assert page.input_value("#range-w5") == "0.4" and page.evaluate(BOXES) == boxes
            picture = page.inner_html("#canvas")
            # a broken file: the command line's message, the last good picture kept
            path.write_text(path.read_text(encoding="utf-8").replace("w5 = 0.4", "w5 = ?"), encoding="utf-8")
            said = cli_error(["step", str(path)], capsys)
            page.wait_for_selector("#error:not([hidden])")
            assert page.inner_text("#error") == said
            assert page.inner_html("#canvas") == picture
            assert errors == []
            browser.close()
        server.send_signal(signal.SIGINT)  # Ctrl-C: one line, status 130
        assert server.wait(timeout=20) == 130
        assert server.stderr.read().splitlines()[-1] == "scalarnet: interrupted"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
