"""Issue 12: every error message a bad exercise file, CSV file or computation gets is Chinese
under --lang zh: the malformed corpus loaded in both languages, numeric and data errors, and
the command line's one error line."""

from __future__ import annotations

from pathlib import Path

import pytest
from english import WORD, english_words
from malformed import cases, write_corpus

from scalarnet import spec
from scalarnet.cli import main
from scalarnet.core import nn
from scalarnet.engines.record import ExerciseError
from scalarnet.engines.scalar import Exercise
from scalarnet.i18n import using_language
from scalarnet.spec import SpecError, data, load
from scalarnet.spec.bundled import bundled_names, dataset_names

CORPUS = cases()

# An exercise file's own vocabulary, which messages quote as the file must spell it: its
# sections and keys, the values they take, and the Python type names of a wrong value.
FILE_WORDS = {
    *spec.SECTIONS, *spec.TRAIN_KEYS, *spec.NETWORK_KEYS, *nn.ACTIVATIONS, *nn.OUTPUT_ACTIVATIONS, *nn.LOSSES,
    "params", "inputs", "targets", "one_hot", "standardize", "seed", "scale", "test", "csv", "sklearn",
    "decimals", "low", "high", "true", "false", "full", "file", "linear",
    *data.SKLEARN_SETS, "True", "False", "KB", "MB", "GB", "TB",
    "int", "float", "bool", "str", "list", "dict", "datetime", "date", "NFKC", "Node", "None",
}


def message_of(path: Path, lang: str) -> str:
    with using_language(lang), pytest.raises(SpecError) as info:
        load(path)
    return str(info.value)


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("malformed"))


def test_every_malformed_file_gets_its_message_in_chinese(corpus_dir):
    english_left = {}
    for name, text, key in CORPUS:
        path = corpus_dir / f"{name}.toml"
        english, chinese = message_of(path, "en"), message_of(path, "zh")
        assert chinese != english, (name, chinese)
        assert chinese.startswith(str(path)) and (key in chinese or key == "not valid TOML"), (name, chinese)
        # the message quotes the file's own names, keys and values: those may stay English
        words = english_words(chinese, set(WORD.findall(text)) | FILE_WORDS, quoted=True)
        if words:
            english_left[name] = (words, chinese)
    assert english_left == {}


def chinese_error_line(capsys, argv: list[str]) -> str:
    assert main([*argv, "--lang", "zh"]) == 2
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if "error" in line or "错误" in line]
    assert out == "" and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("name", [c[0] for c in CORPUS[::40]])
def test_the_command_line_shows_the_chinese_message(name, corpus_dir, capsys):
    path = corpus_dir / f"{name}.toml"
    line = chinese_error_line(capsys, ["step", str(path)])
    assert message_of(path, "zh") in line


def test_a_missing_file_and_an_unknown_exercise_in_chinese(tmp_path, capsys):
    line = chinese_error_line(capsys, ["step", "no-such-exercise"])
    message = line.partition("no-such-exercise: ")[2]
    assert message.startswith("没有这个文件，也没有这个名字的自带习题；自带习题有 curve-fit-1-5-1, ")
    assert english_words(message, {w for name in bundled_names() + dataset_names() for w in WORD.findall(name)},
                         quoted=True) == []
    line = chinese_error_line(capsys, ["step", str(tmp_path)])
    assert f"{tmp_path}: 是一个文件夹；请给出一个习题文件（TOML）或自带习题的名字" in line


NUMERIC = {  # a formula whose value leaves the real numbers at the first step, and the message
    "log": ('o = "log(w - x)"', "节点 o = ln(w − x)（其中 w − x = -0.5）：对非正数取对数（-0.5）"),
    "division": ('o = "w / (x - 1)"', "节点 o = w / (x − 1)（其中 w = 0.5, x − 1 = 0.0）：除以零（0.5 / 0）"),
    "exp": ('o = "exp(1000 * x)"', "节点 o = exp(1000·x)（其中 1000·x = 1000.0）：exp(1000.0) 溢出"),
    "power": ('o = "(w - x) ^ 0.5"', "节点 o = (w − x)^0.5（其中 w − x = -0.5）：-0.5 ** 0.5 不是实数"),
}


@pytest.mark.parametrize("case", NUMERIC)
def test_numeric_errors_are_chinese(case, tmp_path):
    formula, expected = NUMERIC[case]
    path = tmp_path / "e.toml"
    path.write_text(f'[params]\nw = 0.5\n[inputs]\nx = 1.0\n[targets]\ny = 0.0\n[graph]\n{formula}\nE = "(o - y)^2"\n')
    with using_language("zh"), pytest.raises(ExerciseError) as info:
        Exercise(load(path)).step()
    message = str(info.value)
    assert expected in message, message
    assert "试试更小的学习率，或检查公式和数据。" in message


def test_a_csv_with_a_bad_cell_gets_a_chinese_message(tmp_path):
    (tmp_path / "rows.csv").write_text("x,y\n1.0,0.5\nabc,1.0\n")
    path = tmp_path / "e.toml"
    path.write_text('[data]\ncsv = "rows.csv"\ntargets = ["y"]\n[network]\nsizes = [1, 1]\n')
    message = message_of(path, "zh")
    assert "[data] inputs: 列 x，第 2 行：'abc' 不是数（类别标签请在目标列上用 one_hot = [\"x\"]）" in message
