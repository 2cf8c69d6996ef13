"""Issue 9: every bad input gets one clear message, nothing is silently wrong, big inputs are
refused before any work. Scale is tested by counting or by the refusal, never by a timer."""

from __future__ import annotations

import html.parser
import json
import math
import os
import stat
import sys
from pathlib import Path

import pytest
from malformed import cases, write_corpus

from scalarnet import spec as spec_module
from scalarnet.cli import main
from scalarnet.core.graph import topological_order
from scalarnet.engines.compiled import CompiledExercise
from scalarnet.engines.matrix import MatrixExercise
from scalarnet.engines.scalar import Exercise
from scalarnet.spec import SpecError, from_dict, load
from scalarnet.spec.files import MAX_FILE_BYTES

GRAPH = """
[params]
w = 0.5
[inputs]
x = 1.0
[targets]
y = 0.0
[graph]
o = "w*x"
E = "(o - y)^2"
"""


def write(tmp_path: Path, text: str, name: str = "exercise.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(capsys, argv: list[str]) -> str:
    """The one error line of a run that must exit with status 2."""
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (argv, out, err)
    assert "Traceback" not in err and out == ""
    lines = [line for line in err.splitlines() if line.startswith("scalarnet: error:")]
    assert len(lines) == 1, err
    return lines[0]


# -- the corpus -------------------------------------------------------------------------------
CORPUS = cases()


def test_the_corpus_is_big_enough_and_every_case_is_distinct():
    assert len(CORPUS) >= 250
    assert len({text for _, text, _ in CORPUS}) == len(CORPUS)


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("malformed"))


COMMANDS = {
    "step": lambda f, out: ["step", f],
    "train": lambda f, out: ["train", f, "--epochs", "1"],
    "render": lambda f, out: ["render", f, "--out", out, "--format", "dot"],
    "derive": lambda f, out: ["derive", f, "--param", "w"],
    "compare": lambda f, out: ["compare", f, "--steps", "1"],
}


@pytest.mark.parametrize("case", CORPUS, ids=[c[0] for c in CORPUS])
def test_every_malformed_file_gets_one_message_naming_the_file_and_the_key(case, corpus_dir, capsys, tmp_path):
    name, _, key = case
    path = str(corpus_dir / f"{name}.toml")
    for command, argv in COMMANDS.items():
        line = error_of(capsys, argv(path, str(tmp_path)))
        assert path in line, (command, line)
        assert key in line, (command, key, line)
        assert "np.float64" not in line and "\x1b" not in line and len(line) < 1200, line
    assert list(tmp_path.iterdir()) == []  # render wrote nothing


# -- silently wrong, now errors or right ------------------------------------------------------------
def test_a_parameter_listed_twice_in_trainable_is_refused_on_every_engine(tmp_path):
    path = write(tmp_path, GRAPH + '[train]\ntrainable = ["w", "w"]\n')
    with pytest.raises(SpecError, match=r"\[train\] trainable: w is listed twice"):
        load(path)
    net = """[inputs]\nx = 1.0\n[targets]\ny = 0.0\n[network]\nsizes = [1, 1]\n
names = { W1 = [["w"]], b1 = ["b"] }\n[train]\ntrainable = ["w", "b", "w"]\n"""
    with pytest.raises(SpecError, match="w is listed twice"):
        load(write(tmp_path, net, "net.toml"))


def test_one_update_per_step_on_every_engine(tmp_path):
    """w = 0.5, x = 1, y = 0, E = (w x − y)²: ∂E/∂w = 1, so lr 0.1 gives w = 0.4 on each engine."""
    net = """[inputs]\nx = 1.0\n[targets]\ny = 0.0\n[network]\nsizes = [1, 1]\noutput = "linear"
loss = "squared_error"\nweights = [[[0.5]]]\nbias = false\nnames = { W1 = [["w"]] }
[train]\nlearning_rate = 0.1\ntrainable = ["w"]\n"""
    spec = load(write(tmp_path, net))
    for engine in (Exercise, CompiledExercise, MatrixExercise):
        ex = engine(spec)
        record = ex.step()
        assert record.grads["w"] == pytest.approx(1.0, abs=1e-15)
        assert record.params["w"] == pytest.approx(0.4, abs=1e-15), engine.__name__


def test_a_spec_built_in_code_with_a_repeated_trainable_name_updates_once():
    spec = load_text(GRAPH)
    spec.train.trainable = ["w", "w"]
    for engine in (Exercise, CompiledExercise):
        record = engine(spec).step()  # E = (w x)², ∂E/∂w = 2 w x² = 1
        assert record.params["w"] == pytest.approx(0.5 - 0.1 * 1.0, abs=1e-15)


def load_text(text: str):
    return from_dict(spec_module.tomllib.loads(text))  # tomllib, or tomli on Python 3.10


@pytest.mark.parametrize("names, message", [
    ('names = { W2 = [["x1"], ["x2"]] }', r"the parameter x1 has the name of \[inputs\] x1"),
    ('names = { W2 = [["E"], ["q"]] }', r"the parameter E has the name of the network's per-example loss E"),
    ('names = { W2 = [["y"], ["q"]] }', r"the parameter y has the name of \[targets\] y"),
    ('units = [["h", "h"], ["o"]]', r"h names two units \(unit 1 of layer 1 and unit 2 of layer 1\)"),
    ('names = { W1 = [["net_h", "a"], ["b", "c"]] }\nunits = [["h", "k"], ["o"]]',
     r"the node net_h of layer 1 has the name of the parameter net_h"),
])
def test_network_names_that_collide_are_refused(tmp_path, names, message):
    text = f"[inputs]\nx1 = 0.1\nx2 = 0.2\n[targets]\ny = 0.3\n[network]\nsizes = [2, 2, 1]\n{names}\n"
    with pytest.raises(SpecError, match=message):
        load(write(tmp_path, text))


def test_names_are_read_as_python_reads_them(tmp_path):
    # '𝑤' is 'w' to Python's parser (NFKC): the two would be one name in a formula
    text = GRAPH.replace("w = 0.5", 'w = 0.5\n"𝑤" = 0.2')
    with pytest.raises(SpecError, match=r"\[params\] 𝑤: '𝑤' and 'w' .* are the same name to Python"):
        load(write(tmp_path, text))
    # the micro sign works: it is the Greek mu to Python, in the file and in the formulas
    micro = GRAPH.replace("w = 0.5", '"µ" = 0.5').replace('"w*x"', '"µ*x"')
    record = Exercise(load(write(tmp_path, micro, "micro.toml"))).step()
    assert list(record.grads) == ["μ"]
    assert record.grads["μ"] == pytest.approx(2 * 0.5)  # ∂(μx)²/∂μ = 2μx²
    assert record.params["μ"] == pytest.approx(0.5 - 0.1 * 1.0)


@pytest.mark.parametrize("value, message", [
    ('""', "the name is empty"), ('"class"', "class is a Python keyword"), ('"None"', "None is a Python keyword"),
    ('"x\\u001b[2J"', r"control character U\+001B"), ('"a b"', "is not a name"),
])
def test_bad_names_are_refused(tmp_path, value, message):
    with pytest.raises(SpecError, match=message):
        load(write(tmp_path, GRAPH.replace("w = 0.5", f"w = 0.5\n{value} = 1.0")))


def test_true_and_false_are_not_numbers(tmp_path):
    with pytest.raises(SpecError, match=r"\[params\] w: expected a number, got true"):
        load(write(tmp_path, GRAPH.replace("w = 0.5", "w = true")))


def test_csv_columns_are_named_as_python_reads_them(tmp_path):
    (tmp_path / "rows.csv").write_text("µ,y\n1.0,2.0\n3.0,6.0\n", encoding="utf-8")
    text = '[data]\ncsv = "rows.csv"\ninputs = ["µ"]\ntargets = ["y"]\n[params]\nw = 1.0\n[graph]\nE = "(w*µ - y)^2"\n'
    spec = load(write(tmp_path, text))
    assert list(spec.inputs) == ["μ"] and spec.inputs["μ"] == [1.0, 3.0]
    record = Exercise(spec).step()  # mean of (w x − y)² over x = 1, 3: gradient mean of 2(w x − y)x = −10
    assert record.grads["w"] == pytest.approx(-10.0)


def test_a_csv_header_with_a_column_twice_is_refused(tmp_path):
    (tmp_path / "rows.csv").write_text("a,a,y\n1,2,3\n4,5,6\n")
    text = '[data]\ncsv = "rows.csv"\ntargets = ["y"]\n[params]\nw = 1.0\n[graph]\nE = "(w*a - y)^2"\n'
    with pytest.raises(SpecError, match=r"\[data\] csv: .*columns 1 and 2 of the header are both named 'a'"):
        load(write(tmp_path, text))


# -- formulas: built without recursion, refused above the stated limits ------------------------------
def test_a_chain_of_900_products_builds_and_steps(tmp_path):
    chain = "*".join(["w"] * 900)
    spec = load(write(tmp_path, GRAPH.replace("w = 0.5", "w = 1.001").replace('"w*x"', f'"{chain}"')))
    record = Exercise(spec).step()
    assert record.values["o"][0] == pytest.approx(1.001 ** 900, rel=1e-12)
    assert record.grads["w"] == pytest.approx(2 * 1.001 ** 900 * 900 * 1.001 ** 899, rel=1e-10)


def test_a_chain_of_900_unary_minuses_and_powers_builds(tmp_path):
    text = GRAPH.replace('"w*x"', '"' + "-" * 900 + 'w"')  # an even count: w itself
    assert Exercise(load(write(tmp_path, text))).step().values["o"][0] == 0.5
    power = GRAPH.replace("w = 0.5", "w = 1.0").replace('"w*x"', '"' + "^".join(["w"] * 900) + '"')
    assert Exercise(load(write(tmp_path, power, "power.toml"))).step().values["o"][0] == 1.0


@pytest.mark.parametrize("formula", ["*".join(["w"] * 900), "^".join(["w"] * 900), "-" * 900 + "w",
                                     "*".join(["(w + x)"] * 300)])
def test_derive_writes_out_deep_formulas(tmp_path, capsys, formula):
    """derive folds a deep formula without recursion; a partial too deep to write as an
    expression is shown by name (∂o/∂w), with its number, and still sums to the gradient."""
    path = write(tmp_path, GRAPH.replace("w = 0.5", "w = 1.0001").replace('"w*x"', f'"{formula}"'))
    assert main(["derive", str(path), "--param", "w", "--format", "latex"]) == 0
    assert "equal to within" in capsys.readouterr().out


@pytest.mark.parametrize("formula, message", [
    (" + ".join(["w"] * 2500), "2,499 operators and parentheses, over the limit of 1,000"),
    ("-" * 5000 + "w", "5,000 operators"),
    ("^".join(["w"] * 3000), "2,999 operators"),
    ("1" * 401 + " * w", "a whole number is too big for a float"),
    ("w * " + "x" * 11_000, "11,004 characters, over the limit of 10,000"),
])
def test_formulas_beyond_the_limits_are_refused_with_a_short_message(tmp_path, formula, message):
    with pytest.raises(SpecError, match=message) as err:
        load(write(tmp_path, GRAPH.replace('"w*x"', f'"{formula}"')))
    assert len(str(err.value)) < 400 and "…" in str(err.value)  # the formula is cut in the message


def test_zero_to_a_negative_power_is_called_a_division_by_zero(tmp_path, capsys):
    line = error_of(capsys, ["step", str(write(tmp_path, GRAPH.replace('"w*x"', '"0^-1 + w"')))])
    assert "divides by zero" in line and "not a real number" not in line


# -- cost: refused from the spec before building anything ------------------------------------------
def test_the_scalar_node_estimate_is_close_to_the_nodes_built():
    from scalarnet.spec.bundled import resolve

    for name in ("sigmoid-2-2-2-network", "quadratic-5-layer", "mazur-2-2-2"):
        spec = load(resolve(name))
        ex = Exercise(spec)
        built = len(topological_order(ex.batch_graph(ex.batch_of_step(1)[1]).loss))
        assert built / 2 <= spec_module.scalar_nodes(spec) <= built * 2, name


def test_a_network_too_big_for_the_scalar_engine_is_refused_before_building(tmp_path, monkeypatch, capsys):
    inputs = "\n".join(f"x{k} = [{', '.join(['0.5'] * 12)}]" for k in range(784))  # 12 examples: 2.4 million
    targets = "\n".join(f"y{k} = [{', '.join(['0.0'] * 12)}]" for k in range(10))
    path = write(tmp_path, f"[inputs]\n{inputs}\n[targets]\n{targets}\n[network]\nsizes = [784, 128, 10]\n")
    built = []
    monkeypatch.setattr("scalarnet.core.nn.MLP.trace", lambda *a, **k: built.append(1))  # an example's graph
    for command in (["step", str(path)], ["derive", str(path), "--all"], ["render", str(path)],
                    ["compare", str(path)]):
        line = error_of(capsys, command)
        assert "scalar nodes" in line and "over the scalar engine's limit of 2,000,000" in line
        assert "--engine matrix" in line and "fewer examples" in line and "batch = 1" in line
    assert built == []  # refused from the spec's estimate, before any example's graph
    monkeypatch.undo()
    assert MatrixExercise(load(path)).step().loss > 0  # the cheaper way works


def test_a_network_too_big_to_hold_is_refused_with_the_estimate(tmp_path):
    text = "[inputs]\nx = 1.0\n[targets]\ny = 0.0\n[network]\nsizes = [1, 1000000000000, 1]\n"
    with pytest.raises(SpecError, match=r"3,000,000,000,001 parameters \(about 21\.8 TB"):
        load(write(tmp_path, text))


def test_a_graph_of_100000_nodes_loads_and_steps(tmp_path):
    """Loading and stepping grow linearly: 10⁵ entries, each using the one above (before,
    each entry copied the list of all names above it: 5.5 minutes)."""
    n = 100_000
    lines = ["[params]", "w = 0.5", "[inputs]", "x = 1.0", "[targets]", "y = 0.0", "[graph]", 'n0 = "w*x"']
    lines += [f'n{i} = "n{i - 1} + w"' for i in range(1, n)] + [f'E = "(n{n - 1} - y)^2"']
    spec = load(write(tmp_path, "\n".join(lines)))
    record = Exercise(spec).step()
    o = 0.5 * n  # n0 = w, and each entry adds w
    assert record.loss == pytest.approx(o * o, rel=1e-12)
    assert record.grads["w"] == pytest.approx(2 * o * n, rel=1e-12)


def test_trainable_is_checked_as_a_set(tmp_path):
    """A [1, N, 1] network listing every weight in trainable: one lookup per name."""
    names = ", ".join(f'"W1[0,{j}]"' for j in range(3000))
    text = f"[inputs]\nx = 0.5\n[targets]\ny = 0.1\n[network]\nsizes = [1, 3000, 1]\n[train]\ntrainable = [{names}]\n"
    spec = load(write(tmp_path, text))
    assert isinstance(spec.train.trainable, list) and len(spec.train.trainable) == 3000
    record = Exercise(spec).step()
    assert record.params["b2[0]"] == 0.0 and record.params["W1[0,0]"] != spec.params["W1[0,0]"]


# -- special files ----------------------------------------------------------------------------------
def test_special_files_are_refused_without_reading(tmp_path, capsys):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)  # opening it to read would block until a writer came
    assert "is not a regular file" in error_of(capsys, ["step", str(fifo)])
    assert "is not a regular file" in error_of(capsys, ["step", "/dev/zero"])
    big = tmp_path / "big.toml"
    with open(big, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no 16 MB written
    assert "over the limit of 16 MB" in error_of(capsys, ["step", str(big)])
    assert "no exercise given" in error_of(capsys, ["step", ""])
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_csv_that_is_a_fifo_is_refused(tmp_path):
    os.mkfifo(tmp_path / "rows.csv")
    text = '[data]\ncsv = "rows.csv"\ntargets = ["y"]\n[params]\nw = 1.0\n[graph]\nE = "(w*a - y)^2"\n'
    with pytest.raises(SpecError, match=r"\[data\] csv: .*is not a regular file"):
        load(write(tmp_path, text))


# -- divergence -------------------------------------------------------------------------------------
LINEAR = """[inputs]\nx = [1.0, 2.0, 3.0]\n[targets]\ny = [2.0, 4.0, 6.0]\n[network]\nsizes = [1, 3, 1]
hidden = "linear"\n[train]\nlearning_rate = 5.0\nepochs = 400\n"""


@pytest.mark.parametrize("engine", ["scalar", "matrix", "compiled"])
def test_a_diverging_run_says_so_and_never_prints_non_json(tmp_path, capsys, engine):
    path = str(write(tmp_path, LINEAR))
    line = error_of(capsys, ["train", path, "--json", "--engine", engine])
    assert "diverged at epoch" in line and "smaller learning rate" in line


def test_metrics_after_divergence_are_a_message(tmp_path):
    from scalarnet.engines.evaluate import train_test_metrics
    from scalarnet.engines.record import ExerciseError

    ex = MatrixExercise(load(write(tmp_path, LINEAR)))
    ex.theta[:] = 1e200  # parameters a diverged run leaves behind
    with pytest.raises(ExerciseError, match="the training diverged; try a smaller learning rate"):
        train_test_metrics(ex)
    ex = Exercise(load(write(tmp_path, LINEAR)))
    ex.load_params({name: 1e200 for name in ex.params})
    with pytest.raises(ExerciseError, match="the training diverged"):
        train_test_metrics(ex)


def test_json_output_never_holds_infinity(capsys):
    from scalarnet import cli
    from scalarnet.engines.record import ExerciseError

    with pytest.raises(ExerciseError, match="not finite"):
        cli.common.print_json({"loss": math.inf})
    assert capsys.readouterr().out == ""


# -- compare ----------------------------------------------------------------------------------------
def test_compare_with_a_loss_that_uses_no_parameter(tmp_path, capsys):
    pytest.importorskip("torch", reason="compare's third engine is PyTorch")
    path = write(tmp_path, GRAPH.replace('E = "(o - y)^2"', 'E = "(x - y)^2"'))
    assert main(["compare", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True


# -- derive -----------------------------------------------------------------------------------------
def test_astronomically_many_paths_are_counted_in_scientific_notation(tmp_path, capsys):
    lines = ["[params]", "w = 0.5", "[inputs]", "x = 1.0", "[targets]", "y = 0.0", "[graph]", 'n0 = "w*x"']
    for i in range(1, 1201):  # two named routes from each n to the next: the paths double per level
        lines += [f'a{i} = "n{i - 1} * 0.5"', f'b{i} = "n{i - 1} * 0.5"', f'n{i} = "a{i} + b{i}"']
    lines.append('E = "(n1200 - y)^2"')
    path = write(tmp_path, "\n".join(lines))
    assert main(["derive", str(path), "--param", "w"]) == 0
    out = capsys.readouterr().out
    assert "1.72e361 paths" in out  # 2**1200 paths from E to w
    assert main(["derive", str(path), "--param", "w", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["n_paths"] == "1.72e361" and doc["agrees"] is True


def test_path_counts_in_words():
    from scalarnet.views.derivation import count_json, count_text

    assert [count_text(n) for n in (1, 999_999, 10**6, 123_456_789)] == ["1", "999999", "1.00e6", "1.23e8"]
    assert count_text(2**3000) == "1.23e903" and count_json(2**60) == float(2**60) and count_json(64) == 64


# -- injection --------------------------------------------------------------------------------------
PAYLOAD = "<img src=x onerror=alert(1)>\n\\immediate\\write18{id}%</script><!--<script>\u2028\x1b[2J"


class Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        if self.lasttag == "script":
            self.scripts.append(data)


def test_markdown_escapes_every_user_string():
    from scalarnet.views.derivation import markdown_text

    text = markdown_text(PAYLOAD)
    parser = Tags()
    parser.feed(text)
    assert parser.tags == [] and "\n" not in text and "<" not in text and ">" not in text


def test_latex_names_and_comments_cannot_end_the_comment_or_run_tex():
    from scalarnet.views.derivation import latex_comment, latex_name

    comment = latex_comment("% " + PAYLOAD)
    assert "\n" not in comment and "\u2028" not in comment
    name = latex_name(PAYLOAD)
    assert "\n" not in name
    unescaped = [k for k, c in enumerate(name) if c in "%#&$_^~{}" and name[k - 1] != "\\"
                 and not name.startswith(r"\mathrm{", k - 7)]
    assert "\\immediate" not in name and "\\write18" not in name
    assert all(name[k] in "{}" for k in unescaped)  # only the braces of \mathrm{...} and the escapes


def test_derive_markdown_and_latex_of_a_bundled_exercise_hold_no_raw_html():
    from scalarnet.analysis.derive import StepDerivations
    from scalarnet.views import derivation

    d = StepDerivations.at(Exercise.load("mazur-2-2-2"), 1).derive("w1")
    parser = Tags()
    parser.feed(derivation.markdown(d))
    assert parser.tags == []
    latex = derivation.latex(d)
    assert all(line.count("%") == 0 or line.startswith("%") for line in latex.splitlines())


def test_the_viewer_script_json_cannot_be_broken_out_of():
    from scalarnet.views.viewer import script_json

    data = {"name": PAYLOAD}
    text = script_json(data)
    assert not any(c in text for c in "<>&\u2028\u2029") and json.loads(text) == data


def test_the_viewer_page_keeps_a_hostile_title_in_its_data(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCALARNET_RENDERER", "none")
    hostile = "t</script><!--<script>alert(1)"
    path = write(tmp_path, f"title = {json.dumps(hostile)}\n" + GRAPH)
    out = tmp_path / "view.html"
    assert main(["step", str(path), "--html", str(out)]) == 0
    assert "no Graphviz renderer" in capsys.readouterr().err
    parser = Tags()
    parser.feed(out.read_text())
    assert parser.tags.count("script") == 2 and "img" not in parser.tags
    assert len(json.loads(parser.scripts[0])["frames"]) > 1  # the data script is intact
    assert all("alert" not in script for script in parser.scripts)


def test_control_characters_in_titles_are_shown_escaped(tmp_path, capsys):
    path = write(tmp_path, 'title = "evil \\u001b[2J title"\n' + GRAPH)
    assert main(["step", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "evil \\x1b[2J title" in out


# -- check --against --------------------------------------------------------------------------------
LEARNER = """import os
def loop(v):
    while True:
        pass
def interrupt(v):
    raise KeyboardInterrupt
def base(v):
    raise BaseException("stop")
def writes(v):
    os.write(1, b"garbage on fd 1\\n")
    return {f"w{k}": 0.0 for k in range(1, 9)}
def huge(v):
    return {f"w{k}": 10**400 for k in range(1, 9)}
"""


def test_check_stops_an_endless_loop_at_call_and_at_import(tmp_path, capsys):
    learner = write(tmp_path, LEARNER, "mine.py")
    line = error_of(capsys, ["check", "sigmoid-2-2-2", "--against", f"{learner}:loop", "--json", "--timeout", "1"])
    assert "your function did not finish within 1 s" in line and "--timeout" in line
    looping = write(tmp_path, "while True:\n    pass\n", "looping.py")
    line = error_of(capsys, ["check", "sigmoid-2-2-2", "--against", f"{looping}:f", "--timeout", "1"])
    assert "loading the file did not finish within 1 s" in line


@pytest.mark.parametrize("function, message", [
    ("interrupt", r"your function raised KeyboardInterrupt \(mine\.py, line 6"),
    ("base", r"your function raised BaseException: stop \(mine\.py, line 8"),
])
def test_check_reports_interrupts_from_the_learners_code(tmp_path, capsys, function, message):
    import re

    learner = write(tmp_path, LEARNER, "mine.py")
    line = error_of(capsys, ["check", "sigmoid-2-2-2", "--against", f"{learner}:{function}", "--json"])
    assert re.search(message, line), line


def test_check_shows_a_numpy_nan_as_a_number():
    import numpy as np

    from scalarnet.teach.check import gradients_of

    grads = gradients_of({"w1": np.float64("nan"), "w2": np.float32(0.5)}, ["w1", "w2"])
    assert repr(grads["w1"]) == "nan" and grads["w2"] == 0.5


def test_check_keeps_writes_to_fd_1_off_the_json_and_reports_huge_numbers(tmp_path, capsys):
    learner = write(tmp_path, LEARNER, "mine.py")
    assert main(["check", "sigmoid-2-2-2", "--against", f"{learner}:writes", "--json"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["ok"] is False and "garbage on fd 1" in err
    assert main(["check", "sigmoid-2-2-2", "--against", f"{learner}:huge", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["params"]["w1"]["got"] is None and doc["params"]["w1"]["problem"].startswith("not a finite number")


@pytest.mark.parametrize("option", ["--rtol", "--atol", "--timeout"])
@pytest.mark.parametrize("value", ["inf", "nan", "-1"])
def test_check_tolerances_are_finite_and_not_negative(capsys, option, value):
    line = error_of(capsys, ["check", "sigmoid-2-2-2", "--against", "x.py:f", f"{option}={value}"])
    assert option in line


# -- the command line -------------------------------------------------------------------------------
def test_no_arguments_prints_the_commands_one_line_each(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for command in ("step", "train", "derive", "render", "compare", "check", "demo", "examples", "diagrams"):
        assert sum(line.split()[:1] == [command] for line in out.splitlines()) == 1, command


def test_version(capsys):
    from scalarnet import __version__

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"scalarnet {__version__}"


@pytest.mark.parametrize("lr", ["inf", "nan", "0", "-1"])
def test_the_learning_rate_must_be_positive_and_finite(capsys, lr):
    assert f"--lr {lr}" in error_of(capsys, ["step", "mazur-2-2-2", f"--lr={lr}"])


def test_ctrl_c_prints_one_line_and_exits_130(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Exercise, "run_step", interrupted)
    assert main(["step", "mazur-2-2-2"]) == 130
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == "scalarnet: interrupted" and "Traceback" not in err


def test_an_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    from scalarnet.views import render

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        render.write_atomic(tmp_path / "out.png", b"data")
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_render_of_frames_leaves_no_partial_set(tmp_path, monkeypatch, capsys):
    from scalarnet.views import render

    real, written = render.write_atomic, []

    def interrupted_after_two(path, data):
        if len(written) == 2:
            raise KeyboardInterrupt
        real(path, data)
        written.append(path)

    monkeypatch.setattr(render, "write_atomic", interrupted_after_two)
    kept = tmp_path / "mine.txt"
    kept.write_text("not ours")
    assert main(["render", "mazur-2-2-2", "--frames", "--format", "dot", "--out", str(tmp_path)]) == 130
    assert len(written) == 2 and not any(p.exists() for p in written)
    assert list(tmp_path.rglob("*")) == [kept]


def test_write_errors_name_the_target_not_the_temporary_file(tmp_path, monkeypatch, capsys):
    import errno

    from scalarnet.views import render

    def disk_full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", src)

    monkeypatch.setattr(os, "replace", disk_full)
    target = tmp_path / "out.html"
    with pytest.raises(OSError) as err:
        render.write_atomic(target, b"x")
    assert err.value.filename == str(target) and list(tmp_path.iterdir()) == []
    line = error_of(capsys, ["step", "mazur-2-2-2", "--html", str(target)])
    assert line == f"scalarnet: error: {target}: No space left on device"


def test_an_interrupted_plot_leaves_no_file_and_plot_is_checked_before_training(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib", reason="--plot draws with matplotlib")
    import matplotlib.figure

    plot = tmp_path / "new" / "folder" / "loss.png"

    def interrupted(self, target, **kwargs):
        target.write(b"\x89PNG half a picture")
        raise KeyboardInterrupt

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", interrupted)
    assert main(["train", "mazur-2-2-2", "--epochs", "2", "--plot", str(plot)]) == 130
    assert plot.parent.is_dir() and list(plot.parent.iterdir()) == []
    capsys.readouterr()
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # not installed
    trained = []
    monkeypatch.setattr(Exercise, "train", lambda *a, **k: trained.append(1))
    assert "--plot needs matplotlib" in error_of(capsys, ["train", "mazur-2-2-2", "--plot", str(plot)])
    assert trained == []


def test_a_terminal_of_0_columns_gets_the_built_in_bar(monkeypatch):
    pytest.importorskip("tqdm", reason="the fallback is from tqdm")
    from scalarnet import cli

    class Terminal:
        def isatty(self):
            return True

        def fileno(self):
            return 2

    monkeypatch.setattr(os, "get_terminal_size", lambda fd: os.terminal_size((0, 0)))
    assert isinstance(cli.train.progress_bar(10, Terminal()), cli.train.ProgressBar)


def test_the_demo_fits_80_columns(capsys):
    assert main(["demo"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert len(lines) < 300  # the 5-layer network's 361 parameters are summarised
    assert "  (+337 more parameters; `scalarnet step` lists them all)" in lines


def test_diagrams_outside_the_repository_creates_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert "from the repository's top folder" in error_of(capsys, ["diagrams"])
    assert list(tmp_path.iterdir()) == []


def test_diagrams_up_to_date_needs_no_renderer(monkeypatch, capsys):
    root = Path(__file__).resolve().parent.parent
    if not (root / "diagrams").is_dir():
        pytest.skip("no diagrams/ folder")
    from scalarnet.cli.diagrams import _up_to_date
    from scalarnet.views.diagram import source_hash
    from scalarnet.views.diagram.gallery import sources

    drawn = sources()
    if not _up_to_date(root / "diagrams", drawn, source_hash):
        pytest.skip("diagrams/ is not up to date with this code (scalarnet diagrams redraws it)")
    monkeypatch.setattr("scalarnet.views.diagram.gallery.sources", lambda fit=None: drawn)  # the same DOT, made once
    monkeypatch.chdir(root)
    monkeypatch.setenv("SCALARNET_RENDERER", "none")
    before = {p: p.stat().st_mtime_ns for p in (root / "diagrams").iterdir()}
    assert main(["diagrams"]) == 0
    assert "nothing to redraw" in capsys.readouterr().err
    assert before == {p: p.stat().st_mtime_ns for p in (root / "diagrams").iterdir()}


def test_the_spec_reader_refuses_what_from_dict_is_given():
    with pytest.raises(SpecError, match=r"\[train\] loss: expected the name"):
        from_dict({"params": {"w": 1.0}, "graph": {"E": "w*w"}, "train": {"loss": ["E"]}})
