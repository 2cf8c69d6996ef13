"""Exercise files: what a good file means, and the message a bad file gets."""

from __future__ import annotations

import textwrap

import pytest

from scalarnet.i18n import using_language
from scalarnet.spec import SpecError, load

GOOD = """
title = "tiny"
[params]
w1 = 0.2
w2 = -0.1
[inputs]
x1 = [0.5, 1.0]
[targets]
y1 = [0.2, 0.4]
[graph]
h = "sigmoid(w1*x1)"
o = "w2*h"
E = "0.5*(o - y1)^2"
"""


def write(tmp_path, text: str):
    path = tmp_path / "exercise.toml"
    path.write_text(textwrap.dedent(text))
    return path


def assert_mentions(message: str, parts: list[str]) -> None:
    for part in parts:
        assert part in message, (part, message)


def error_of(tmp_path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(str(path)), message  # every message names the file
    return message


def test_a_good_file(tmp_path):
    spec = load(write(tmp_path, GOOD))
    assert spec.title == "tiny"
    assert spec.params == {"w1": 0.2, "w2": -0.1}
    assert spec.n_examples == 2
    assert spec.train.loss == "E"  # default: the last [graph] entry
    assert spec.train.batch is None and spec.train.trainable is None
    assert list(spec.graph) == ["h", "o", "E"]


def test_scalars_are_broadcast_over_the_examples(tmp_path):
    spec = load(write(tmp_path, GOOD.replace("y1 = [0.2, 0.4]", "y1 = 0.3")))
    assert spec.targets["y1"] == [0.3, 0.3]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("w1*x1", "w9*x1"), ["[graph] h", "unknown name w9", "did you mean w2 or w1", "w1, w2, x1, y1"]),
        (("o = \"w2*h\"", "o = \"w2*E\""), ["[graph] o", "unknown name E"]),
        (("x1 = [0.5, 1.0]", "x1 = [0.5, 1.0, 2.0]"), ["lists of different lengths", "[inputs] x1 has 3",
                                                        "[targets] y1 has 2"]),
        (("sigmoid(w1*x1)", "sigmod(w1*x1)"), ["[graph] h", "unknown function sigmod", "did you mean sigmoid"]),
        (("sigmoid(w1*x1)", "w1 % x1"), ["[graph] h", "operator % is not supported"]),
        (("sigmoid(w1*x1)", "w1 * "), ["[graph] h", "is not a formula"]),
        (("sigmoid(w1*x1)", "[w1]"), ["[graph] h", "is not part of a formula"]),
        (("sigmoid(w1*x1)", "__import__('os')"), ["[graph] h", "unknown function __import__"]),
        (("sigmoid(w1*x1)", "w1.real"), ["[graph] h", "is not part of a formula"]),
        (("o = \"w2*h\"", "o = 3"), ["[graph] o", "expected a formula in quotes"]),
        (("o = \"w2*h\"", "o = \"w2*o\""), ["[graph] o", "uses o itself"]),
        (("o = \"w2*h\"", "x1 = \"w2*h\""), ["[graph] x1", "already defined in [inputs]"]),
        (("w2 = -0.1", "w2 = \"big\""), ["[params] w2", "expected a number"]),
        (("w2 = -0.1", "w2 = [1, 2]"), ["[params] w2", "one initial value"]),
        (("w2 = -0.1", "exp = 1.0"), ["[params] exp", "is a function name"]),
        (("title = \"tiny\"", "titel = \"tiny\""), ["titel", "unknown section", "did you mean title"]),
    ],
)
def test_bad_files_get_one_clear_message(tmp_path, change, expected):
    old, new = change
    assert old in GOOD
    assert_mentions(error_of(tmp_path, GOOD.replace(old, new)), expected)


@pytest.mark.parametrize(
    ("train", "expected"),
    [
        ('loss = "Q"', ["[train] loss", "'Q' is not a [graph] entry", "h, o, E"]),
        ("learning_rate = -1", ["[train] learning_rate", "must be positive"]),
        ("batch = 3", ["[train] batch", "the file has 2"]),
        ('batch = "half"', ["[train] batch", 'positive whole number or "full"']),
        ('trainable = ["w3"]', ["[train] trainable", "'w3' is not a parameter", "w1, w2"]),
        ("epoch = 5", ["[train] epoch", "unknown key", "did you mean epochs"]),
        ("momentum = 1.5", ["[train] momentum", "[0, 1)"]),
    ],
)
def test_bad_train_sections(tmp_path, train, expected):
    assert_mentions(error_of(tmp_path, GOOD + "[train]\n" + train + "\n"), expected)


def test_not_toml_and_missing_file(tmp_path):
    assert "not valid TOML" in error_of(tmp_path, "[params\nw = 1")
    with pytest.raises(SpecError, match="no such file"):
        load(tmp_path / "missing.toml")


def test_graph_or_network_exactly_once(tmp_path):
    assert "exactly one of [graph]" in error_of(tmp_path, "[params]\nw = 1\n")


NETWORK = """
[inputs]
x1 = 0.05
x2 = 0.10
[targets]
t1 = 0.01
[network]
sizes = [2, 2, 1]
hidden = "sigmoid"
output = "sigmoid"
weights = [[[0.15, 0.25], [0.20, 0.30]], [[0.40], [0.45]]]
biases = [[0.35, 0.35], [0.60]]
names = { W1 = [["w1", "w3"], ["w2", "w4"]], b1 = ["b1", "b1"], W2 = [["w5"], ["w6"]], b2 = ["b2"] }
"""


def test_network_with_textbook_names_and_a_shared_bias(tmp_path):
    spec = load(write(tmp_path, NETWORK))
    assert spec.params == {"w1": 0.15, "w3": 0.25, "w2": 0.20, "w4": 0.30, "b1": 0.35, "w5": 0.40,
                           "w6": 0.45, "b2": 0.60}
    assert spec.loss_name == "E"


def test_network_default_names_follow_the_documented_scheme(tmp_path):
    text = NETWORK.split("weights =")[0]
    spec = load(write(tmp_path, text))
    assert list(spec.params) == ["W1[0,0]", "W1[0,1]", "W1[1,0]", "W1[1,1]", "b1[0]", "b1[1]",
                                 "W2[0,0]", "W2[1,0]", "b2[0]"]
    assert spec.params["b1[0]"] == 0.0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("sizes = [2, 2, 1]", "sizes = [3, 2, 1]"), ["[network] sizes", "3 inputs", "[inputs] has 2 (x1, x2)"]),
        (("sizes = [2, 2, 1]", "sizes = [2, 2, 2]"), ["[network] sizes", "2 outputs"]),
        (('hidden = "sigmoid"', 'hidden = "sigmiod"'), ["[network] hidden", "did you mean sigmoid"]),
        (('output = "sigmoid"', 'output = "sigmoid"\nloss = "cross_entropy"'), ["[network] loss", "softmax"]),
        (("[[0.40], [0.45]]", "[[0.40]]"), ["[network] weights", "layer 2", "shape"]),
        (("b1 = [\"b1\", \"b1\"]", "b1 = [\"b1\", \"b1\"], b7 = [\"q\"]"), ["[network] names", "'b7'"]),
        (("biases = [[0.35, 0.35], [0.60]]", "biases = [[0.35, 0.36], [0.60]]"),
         ["[network] names", "b1 is shared but given two values"]),
        (("[network]", "[params]\nw = 1\n[network]"), ["[params]", "remove [params]"]),
        (("sizes = [2, 2, 1]", "sizes = [2, 2, 1]\ndepth = 3"), ["[network] depth", "unknown key"]),
    ],
)
def test_bad_network_sections(tmp_path, change, expected):
    old, new = change
    assert old in NETWORK
    assert_mentions(error_of(tmp_path, NETWORK.replace(old, new)), expected)


def test_titles_and_descriptions_per_language_follow_the_current_language(tmp_path):
    text = GOOD.replace('title = "tiny"', 'title = { en = "tiny", zh = "小例子" }\ndescription.zh = "只有中文"')
    path = write(tmp_path, text)
    assert (load(path).title, load(path).description) == ("tiny", "只有中文")  # English, else any
    with using_language("zh"):
        assert (load(path).title, load(path).description) == ("小例子", "只有中文")


@pytest.mark.parametrize("title, expected", [
    ('{ en = "a", fr = "b" }', ["title.fr", "unknown language", "en, zh"]),
    ('{ en = "a", zh = 3 }', ["title.zh", "must be a string, got 3"]),
    ("{ }", ["title", 'title = { en = "…", zh = "…" }']),
    ("[1]", ["title", "must be a string"]),
])
def test_bad_per_language_titles(tmp_path, title, expected):
    assert_mentions(error_of(tmp_path, GOOD.replace('title = "tiny"', f"title = {title}")), expected)


def test_every_bundled_exercise_has_a_chinese_title_and_description():
    import re

    from scalarnet.spec import tomllib
    from scalarnet.spec.bundled import bundled_dir

    files = sorted(bundled_dir().rglob("*.toml"))
    assert len(files) == 11
    for path in files:  # read as TOML: the California housing file needs its data to load
        doc = tomllib.loads(path.read_text())
        title, description = doc["title"], doc["description"]
        assert set(title) == set(description) == {"en", "zh"}, path
        assert len(re.findall(r"[\u4e00-\u9fff]", title["zh"])) >= 6, (path, title)
        assert len(re.findall(r"[\u4e00-\u9fff]", description["zh"])) >= 25, (path, description)
    with using_language("zh"):
        assert load(bundled_dir() / "sigmoid-2-2-2.toml").title.startswith("误差后向传播（BP）例题")


def test_examples_list_the_titles_in_the_current_language():
    from scalarnet.spec.bundled import bundled_titles

    with using_language("zh"):
        chinese = dict(bundled_titles())
    english = dict(bundled_titles())
    assert chinese["sigmoid-2-2-2"] == "误差后向传播（BP）例题：不带偏置的 2-2-2 sigmoid 网络（MOOC 8.3）"
    assert english["sigmoid-2-2-2"] == "2-2-2 sigmoid network without biases (the MOOC 8.3 BP example)"
    assert chinese["quadratic-5-layer"].startswith("BP 神经网络模拟一元二次函数")
