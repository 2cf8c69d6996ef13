"""A corpus of malformed exercise files, generated: each case is (name, the file's text, the
key its one error message must name). tests/test_hardening.py runs every case through
step, train, render, derive and compare.

Every case starts from a small valid file ([graph] or [network]) and breaks one thing:
a value of the wrong type or out of range for each key, a bad or colliding name, a formula
the reader refuses, a section that is not there to have."""

from __future__ import annotations

from pathlib import Path

GRAPH = {
    "params": {"w": "0.5", "b": "0.1"},
    "inputs": {"x": "[1.0, 2.0]"},
    "targets": {"y": "[0.5, 1.0]"},
    "graph": {"o": '"w*x + b"', "E": '"(o - y)^2"'},
    "train": {"learning_rate": "0.1"},
}
NETWORK = {
    "inputs": {"x1": "[0.05, 0.5]", "x2": "[0.1, 0.2]"},
    "targets": {"y": "[0.01, 0.9]"},
    "network": {"sizes": "[2, 2, 1]"},
    "train": {"learning_rate": "0.5"},
}

# values that are not a finite number, as TOML
NOT_NUMBERS = ["true", "false", '"1.5"', "[1.0, [2.0]]", "{ a = 1 }", "nan", "inf", "-inf", "1979-05-27",
               '""', "[[1.0]]"]
# names that cannot name a value; (TOML key, why)
BAD_NAMES = ['""', '"class"', '"a b"', '"1w"', '"x\\u001b[31m"', '"sigmoid"', '"True"', '"None"', '"w-1"',
             '"w\\nq"', '"<img src=x onerror=alert(1)>"', '"lambda"', '"exp"', '"a.b"', '"x\\u0000"']
BAD_FORMULAS = [
    '""', '"   "', '"w +"', '"w % 2"', '"w // 2"', '"w @ x"', '"w & x"', '"foo(w)"', '"w.real"',
    '"__import__(\'os\')"', '"lambda: 1"', '"w if x else y"', '"[w]"', '"\'s\'"', '"unknown"', '"o"', '"E"',
    '"sigmoid"', '"sigmoid(w, x)"', '"sigmoid()"', '"True"', '"w < x"', '"not w"', '"~w"', '"w and x"',
    '"exp(x=1)"', '"(w"', '"w)"', '"1e999 * w"', '"' + "1" * 401 + ' * w"', '"' + "*".join(["w"] * 1500) + '"',
    '"' + " + ".join(["w"] * 2500) + '"', '"' + "-" * 5000 + 'w"', '"' + "^".join(["w"] * 3000) + '"',
    '"' + "w * x + " * 1300 + 'b"', '"' + "(" * 300 + "w" + ")" * 300 + '"', '"w * ' + "x" * 11000 + '"',
    "1.5", "true", '["w"]', "{ a = 1 }", '"f\'{w}\'"', '"w[0]"', '"{w}"', '"w; x"', '"w = 1"', '"yield w"',
    '"await w"', '"*w"', '"w, x"', '"log"', '"x.__class__"',
]


def render(sections: dict[str, dict[str, str]], extra: str = "") -> str:
    """TOML text of ``sections`` (section -> key -> TOML value), then ``extra``."""
    out = []
    for section, table in sections.items():
        out.append(f"[{section}]")
        out += [f"{key} = {value}" for key, value in table.items()]
        out.append("")
    return "\n".join(out) + extra


def changed(base: dict, section: str, key: str | None, value: str | None) -> dict:
    """``base`` with ``[section] key = value`` (a None value removes the key; a None key the section)."""
    out = {s: dict(t) for s, t in base.items()}
    if key is None:
        out.pop(section, None)
        return out
    table = out.setdefault(section, {})
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value
    return out


def renamed(base: dict, section: str, old: str, new: str) -> dict:
    out = {s: dict(t) for s, t in base.items()}
    out[section] = {(new if k == old else k): v for k, v in out[section].items()}
    return out


def cases() -> list[tuple[str, str, str]]:
    """(case name, TOML text, the key the message must name)."""
    found: list[tuple[str, str, str]] = []

    def add(name: str, sections: dict, key: str, extra: str = "") -> None:
        found.append((f"{len(found):03d}-{name}", render(sections, extra), key))

    for k, value in enumerate(NOT_NUMBERS):
        add(f"param-{k}", changed(GRAPH, "params", "w", value), "[params] w")
        add(f"input-{k}", changed(GRAPH, "inputs", "x", value), "[inputs] x")
        add(f"target-{k}", changed(GRAPH, "targets", "y", value), "[targets] y")
        add(f"net-input-{k}", changed(NETWORK, "inputs", "x1", value), "[inputs] x1")
    for k, value in enumerate(["0", "-1", '"fast"', "true", "inf", "nan", "[0.1]"]):
        add(f"lr-{k}", changed(GRAPH, "train", "learning_rate", value), "[train] learning_rate")
    for k, value in enumerate(["0", "-1", "1.5", '"all"', "true", "99", "[1]"]):
        add(f"batch-{k}", changed(GRAPH, "train", "batch", value), "[train] batch")
    for k, value in enumerate(["0", "-1", "1.5", '"ten"', "true"]):
        add(f"epochs-{k}", changed(GRAPH, "train", "epochs", value), "[train] epochs")
    for k, value in enumerate(["-0.1", "1", "1.5", '"a"', "true", "nan"]):
        add(f"momentum-{k}", changed(GRAPH, "train", "momentum", value), "[train] momentum")
    for k, value in enumerate(['"w"', '["q"]', "[1]", '["w", "w"]', '["w", "b", "w"]', "{ w = 1 }", '["x"]']):
        add(f"trainable-{k}", changed(GRAPH, "train", "trainable", value), "[train] trainable")
    for k, value in enumerate(['["E"]', '"q"', "1", '"x"', "{ a = 1 }", "true"]):
        add(f"loss-{k}", changed(GRAPH, "train", "loss", value), "[train] loss")
    add("train-unknown-key", changed(GRAPH, "train", "learning-rate", "0.1"), "[train] learning-rate")
    add("train-not-a-table", changed(GRAPH, "train", None, None), "train", extra="train = 1\n")
    for k, value in enumerate(BAD_FORMULAS):
        add(f"formula-{k}", changed(GRAPH, "graph", "o", value), "[graph] o")
    for k, name in enumerate(BAD_NAMES):
        add(f"param-name-{k}", {**GRAPH, "params": {"w": "0.5", name: "0.1"}}, "[params]")
        add(f"graph-name-{k}", {**GRAPH, "graph": {name: '"w*x"', "E": '"(w*x - y)^2"'}}, "[graph]")
    # names that collide, as written or as Python reads them (NFKC)
    add("collide-param-input", {**GRAPH, "params": {"w": "0.5", "x": "0.1"}}, "[inputs] x")
    add("collide-nfkc", {**GRAPH, "params": {"w": "0.5", '"𝑤"': "0.1"}}, "[params] 𝑤")
    add("collide-nfkc-input", {**GRAPH, "params": {"w": "0.5", '"𝑥"': "0.1"}}, "[inputs] x")
    add("collide-graph-param", {**GRAPH, "graph": {"w": '"x*2"', "E": '"(w - y)^2"'}}, "[graph] w")
    add("collide-graph-nfkc", {**GRAPH, "graph": {"o": '"w*x"', '"ｏ"': '"o*2"', "E": '"(o - y)^2"'}},
        "[graph] ｏ")
    # [network]
    for k, value in enumerate(["[2]", "[2, 0, 1]", "[2, -1, 1]", "[2, 1.5, 1]", '"2-2-1"', "[3, 2, 1]", "[2, 2, 2]",
                               "[2, true, 1]", "[2, 1000000000000, 1]", "[2, 2000, 2000, 1]", "[]"]):
        add(f"sizes-{k}", changed(NETWORK, "network", "sizes", value), "[network] sizes")
    for key, values in {"hidden": ['"softmax"', '"sigmod"', "1"], "output": ['"relu6"', "true"],
                        "loss": ['"mse"', '["half_squared_error"]', '"cross_entropy"'],
                        "bias": ['"yes"', "1"],
                        "init": ["1", "{ seed = -1 }", "{ scale = true }", "{ seed = 1.5 }", "{ sed = 1 }"],
                        "weights": ["[5]", "[5, 1]", "{ a = 1 }", "[[[1, 2], [3, 4]], [5]]", "[[1, 2], [1]]",
                                    '[[[1, 2], [3, "4"]], [[5], [6]]]', "[[[1, 2], [3, nan]], [[5], [6]]]",
                                    "[[[1, 2, 3], [3, 4, 5]], [[5], [6]]]", "[]"],
                        "biases": ["[5, 1]", "[5]", "{ a = 1 }", "[[1, 2], [1, 2]]", "[[1, inf], [1]]", '"b"'],
                        "names": ["1", '{ W1 = [["x1", "a"], ["b", "c"]] }', '{ W2 = [["x1"], ["x2"]] }',
                                  '{ W2 = [["E"], ["q"]] }', '{ W3 = [["a"]] }', '{ W1 = [["a", "b"]] }',
                                  '{ W1 = [["a", ""], ["b", "c"]] }', '{ W1 = [["a", "class"], ["b", "c"]] }',
                                  '{ b1 = ["a"] }', '{ b1 = [1, 2] }', '{ W1 = [["a", "y"], ["b", "c"]] }',
                                  '{ W1 = [["a", "b\\u001b"], ["b", "c"]] }'],
                        "units": ['[["h", "h"], ["o"]]', '[["h1", "h2"]]', '[["h1", "h2"], ["o", "p"]]', "1",
                                  '[["h1", "h2"], ["h1"]]', '[["h1", ""], ["o"]]', '[["h 1", "h2"], ["o"]]'],
                        "activation": ['"relu"']}.items():
        for k, value in enumerate(values):
            add(f"network-{key}-{k}", changed(NETWORK, "network", key, value), f"[network] {key}")
    add("network-loss-in-train", changed(NETWORK, "train", "loss", '"E"'), "[train] loss")
    add("network-and-params", {**NETWORK, "params": {"w": "1.0"}}, "[params]")
    add("network-input-named-E", renamed(NETWORK, "inputs", "x2", "E"), "E")
    # the whole file
    add("unknown-section", {**GRAPH, "grpah": {"a": "1"}}, "[grpah]")
    add("graph-and-network", {**GRAPH, "network": {"sizes": "[1, 1]"}}, "file")
    add("neither", changed(GRAPH, "graph", None, None), "file")
    add("graph-not-a-table", changed(GRAPH, "graph", None, None), "[graph]", extra='graph = "w*x"\n')
    add("graph-empty", {**GRAPH, "graph": {}}, "[graph]")
    add("lengths-differ", changed(GRAPH, "targets", "y", "[1.0, 2.0, 3.0]"), "[inputs]/[targets]")
    add("empty-list", changed(GRAPH, "inputs", "x", "[]"), "[inputs] x")
    add("param-list", changed(GRAPH, "params", "w", "[0.5, 0.6]"), "[params] w")
    add("title-number", GRAPH, "title", extra="")
    found[-1] = (found[-1][0], 'title = 5\n' + render(GRAPH), "title")
    add("description-list", GRAPH, "description")
    found[-1] = (found[-1][0], 'description = ["a"]\n' + render(GRAPH), "description")
    broken = ["[params\nw = 1", "w = = 1", "[params]\nw = 1\nw = 2", "\x00", "[graph]\no = 'unterminated",
              "[params]\nw = 1" + "0" * 5000, "a = " + "[" * 2000 + "]" * 2000, "[inputs]\nx = 0x", "\ufeff\x01"]
    for k, text in enumerate(broken):
        found.append((f"{len(found):03d}-toml-{k}", text, "not valid TOML"))
    # [data]
    for k, (key, value) in enumerate([("csv", "1"), ("csv", '"missing.csv"'), ("sklearn", '"mnist"'),
                                      ("test", "1.5"), ("seed", "-1"), ("standardize", '"all"'),
                                      ("targets", '["nope"]'), ("one_hot", '["x"]'), ("colums", "1")]):
        csv = '"nope.csv"' if key == "sklearn" else '"rows.csv"'  # a CSV that is there wins over sklearn
        sections = {"data": {"csv": csv, "targets": '["y"]', key: value}, "graph": GRAPH["graph"],
                    "params": GRAPH["params"]}
        add(f"data-{k}", sections, f"[data] {key}")
    add("data-duplicate-header", {"data": {"csv": '"dup.csv"', "targets": '["y"]'}, "graph": GRAPH["graph"],
                                  "params": GRAPH["params"]}, "[data] csv")
    add("data-and-inputs", {**GRAPH, "data": {"csv": '"rows.csv"', "targets": '["y"]'}}, "[data]")
    return found


# the CSV files the [data] cases name
CSV_FILES = {"rows.csv": "x,y\n1.0,0.5\n2.0,1.0\n", "dup.csv": "x,x,y\n1,2,3\n4,5,6\n"}


def write_corpus(folder: Path) -> Path:
    """Every malformed file (and the CSV files they name) written into ``folder``."""
    for name, text in CSV_FILES.items():
        (folder / name).write_text(text)
    for name, text, _key in cases():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    return folder
