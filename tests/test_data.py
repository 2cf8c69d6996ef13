"""[data]: CSV columns, one-hot labels, the split, standardisation; the seed-scale runs
(Iris reaches the seed's accuracy); train's metrics, progress and plots."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from scalarnet.cli import main
from scalarnet.engines.evaluate import train_test_metrics
from scalarnet.engines.matrix import MatrixExercise
from scalarnet.spec import SpecError, from_dict, load
from scalarnet.spec.bundled import dataset_dir, resolve
from scalarnet.spec.data import identifier

IRIS_CSV = dataset_dir() / "iris.csv"


def csv_exercise(tmp_path: Path, text: str, data: dict, network: dict | None = None) -> dict:
    (tmp_path / "rows.csv").write_text(text)
    doc = {"data": {"csv": "rows.csv", **data},
           "network": network or {"sizes": [2, 3, 1], "hidden": "tanh"}}
    return doc


def load_doc(tmp_path: Path, doc: dict):
    return from_dict(doc, str(tmp_path / "exercise.toml"))


def test_iris_csv_is_the_iris_data():
    rows = [line.split(",") for line in IRIS_CSV.read_text().splitlines()]
    assert rows[0] == ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    body = rows[1:]
    assert len(body) == 150
    assert [sum(r[4] == s for r in body) for s in ("setosa", "versicolor", "virginica")] == [50, 50, 50]
    assert body[0] == ["5.1", "3.5", "1.4", "0.2", "setosa"] and body[-1] == ["5.9", "3", "5.1", "1.8", "virginica"]
    assert body[50] == ["7", "3.2", "4.7", "1.4", "versicolor"] and body[100] == ["6.3", "3.3", "6", "2.5", "virginica"]
    columns = np.array([[float(x) for x in r[:4]] for r in body])
    assert columns.sum(axis=0) == pytest.approx([876.5, 458.6, 563.7, 179.9])  # the published column sums


def test_iris_matches_scikit_learn():
    datasets = pytest.importorskip("sklearn.datasets", reason="scikit-learn is not installed")
    iris = datasets.load_iris()
    body = [line.split(",") for line in IRIS_CSV.read_text().splitlines()[1:]]
    assert np.array([[float(x) for x in r[:4]] for r in body]) == pytest.approx(iris.data)
    assert [r[4] for r in body] == [str(iris.target_names[t]) for t in iris.target]


def test_the_split_is_scikit_learns_train_test_split():
    selection = pytest.importorskip("sklearn.model_selection", reason="scikit-learn is not installed")
    spec = load(resolve("iris"))
    rows = np.arange(150)
    train, test = selection.train_test_split(rows, test_size=0.2, random_state=42)
    X = np.array([[float(x) for x in line.split(",")[:4]] for line in IRIS_CSV.read_text().splitlines()[1:]])
    assert np.array(spec.inputs["sepal_length"]) == pytest.approx(X[train, 0])
    assert np.array(spec.test_inputs["petal_width"]) == pytest.approx(X[test, 3])
    assert spec.n_examples == 120 and len(spec.test_targets["species_setosa"]) == 30


def test_one_hot_and_standardize(tmp_path):
    text = "a,b,label\n1,10,cat\n2,20,dog\n3,30,cat\n4,40,emu\n5,50,dog\n6,60,cat\n"
    doc = csv_exercise(tmp_path, text, {"targets": ["label"], "one_hot": ["label"], "test": 0.34, "seed": 1,
                                        "standardize": ["inputs"]},
                       {"sizes": [2, 3, 3], "output": "softmax", "loss": "cross_entropy"})
    spec = load_doc(tmp_path, doc)
    assert list(spec.inputs) == ["a", "b"]
    assert list(spec.targets) == ["label_cat", "label_dog", "label_emu"]
    assert spec.n_examples == 3 and len(spec.test_inputs["a"]) == 3
    for name in ("a", "b"):  # standardised with the training rows' mean and standard deviation
        assert np.mean(spec.inputs[name]) == pytest.approx(0, abs=1e-12)
        assert np.std(spec.inputs[name]) == pytest.approx(1)
    one_hot = np.array(list(spec.targets.values()) + list(spec.test_targets.values()), dtype=float)
    assert one_hot.reshape(2, 3, 3).sum(axis=1).tolist() == [[1, 1, 1]] * 2  # one class per row


def test_standardized_targets_and_default_inputs(tmp_path):
    doc = csv_exercise(tmp_path, "x,z,y\n1,0,2\n2,1,4\n3,0,9\n", {"targets": "y", "standardize": ["inputs", "targets"]})
    spec = load_doc(tmp_path, doc)
    assert list(spec.inputs) == ["x", "z"] and spec.test_inputs == {}
    assert np.mean(spec.targets["y"]) == pytest.approx(0, abs=1e-12) and np.std(spec.targets["y"]) == pytest.approx(1)


def test_column_names_become_identifiers():
    assert identifier("sepal length (cm)") == "sepal_length_cm"
    assert identifier("2nd") == "c_2nd"


@pytest.mark.parametrize("data, text, message", [
    ({"targets": ["y"], "cvs": "x"}, None, r"\[data\] cvs: unknown key \(did you mean csv\?\)"),
    ({"targets": ["why"]}, None, r"\[data\] targets: no column 'why'; the columns are x, z, y"),
    ({"targets": ["y"], "test": 1.5}, None, r"\[data\] test: expected the fraction"),
    ({"targets": ["y"], "inputs": ["x"]}, "x,y\n1,oops\n", r"column y, row 1: 'oops' is not a number.*one_hot"),
    ({"targets": ["y"]}, "x,y\n1,2\n3\n", r"line 3: 1 values, but the header names 2 columns"),
    ({"targets": ["y"], "standardize": "yes"}, None, r"\[data\] standardize: expected"),
    ({"targets": ["y"], "one_hot": ["x"]}, None, r"\[data\] one_hot: no target column 'x'"),
])
def test_bad_data_gets_a_clear_error(tmp_path, data, text, message):
    doc = csv_exercise(tmp_path, text or "x,z,y\n1,0,2\n2,1,4\n", data)
    with pytest.raises(SpecError, match=message):
        load_doc(tmp_path, doc)


def test_data_and_inputs_together_or_a_missing_file_are_errors(tmp_path):
    doc = csv_exercise(tmp_path, "x,z,y\n1,0,2\n", {"targets": ["y"]})
    with pytest.raises(SpecError, match=r"either in \[inputs\]/\[targets\] or in \[data\]"):
        load_doc(tmp_path, {**doc, "inputs": {"x": [1.0]}})
    doc["data"]["csv"] = "missing.csv"
    with pytest.raises(SpecError, match=r"missing\.csv: no such file"):
        load_doc(tmp_path, doc)


def test_iris_reaches_the_seeds_accuracy():
    """Seed 001: [4, 100, 20, 3] ReLU + softmax, lr 0.01, 5000 full-batch epochs: 98.3% / 100%."""
    ex = MatrixExercise.load(resolve("iris"))
    result = ex.train(ex.spec.train.epochs)
    metrics = train_test_metrics(ex)
    assert metrics["train"]["accuracy"] == pytest.approx(118 / 120)  # 98.3%
    assert metrics["test"]["accuracy"] == 1.0
    assert result.epoch_losses[0] == pytest.approx(np.log(3), abs=1e-3)  # small weights: uniform softmax
    assert result.epoch_losses[-1] < 0.08


def test_diabetes_is_the_offline_regression_example():
    pytest.importorskip("sklearn", reason="scikit-learn is not installed")
    spec = load(resolve("diabetes"))
    assert spec.n_examples == 353 and len(spec.test_targets["target"]) == 89 and len(spec.inputs) == 10
    ex = MatrixExercise(spec)
    ex.train(spec.train.epochs)
    metrics = train_test_metrics(ex)  # standardised target: an MSE of 1.0 is predicting the mean
    assert metrics["train"]["mse"] < 0.45 and metrics["test"]["mse"] < 0.5


def test_california_housing_offline_says_what_to_do(tmp_path):
    pytest.importorskip("sklearn", reason="scikit-learn is not installed")
    try:
        load(resolve("california-housing"))
    except SpecError as err:
        assert "fetch_california_housing" in str(err) and "scalarnet train diabetes" in str(err)
    # a user-given CSV next to the exercise file is used when it exists
    columns = ["MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude",
               "MedHouseVal"]
    rng = np.random.default_rng(0)
    rows = "\n".join(",".join(f"{v:.3f}" for v in rng.uniform(1, 5, 9)) for _ in range(20))
    (tmp_path / "california_housing.csv").write_text(",".join(columns) + "\n" + rows + "\n")
    copy = tmp_path / "california-housing.toml"
    copy.write_text(resolve("california-housing").read_text())
    spec = load(copy)
    assert spec.n_examples == 16 and list(spec.targets) == ["MedHouseVal"] and spec.data_source.endswith(".csv")


def test_train_reports_test_metrics_in_json(capsys):
    assert main(["train", "iris", "--epochs", "5", "--json"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["engine"] == "matrix" and "engine: matrix" in err
    assert set(doc["metrics"]) == {"train", "test"} and doc["metrics"]["test"]["examples"] == 30
    assert 0 <= doc["metrics"]["test"]["accuracy"] <= 1
    assert "\r" not in err  # no progress bar on a pipe


@pytest.mark.parametrize("name, epochs", [("curve-fit-1-5-1", 5), ("iris", 20), ("quadratic-5-layer", 20)])
def test_train_plot_writes_a_png(tmp_path, capsys, name, epochs):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (pip install 'scalarnet[plot]')")
    path = tmp_path / f"{name}.png"
    assert main(["train", name, "--epochs", str(epochs), "--plot", str(path)]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {path}" in capsys.readouterr().err


def test_plot_content():
    pytest.importorskip("matplotlib", reason="matplotlib is not installed")
    from scalarnet.engines.evaluate import AccuracyPerEpoch
    from scalarnet.views.plot import is_curve_fit

    assert is_curve_fit(MatrixExercise.load(resolve("quadratic-5-layer")))
    curve = load(resolve("curve-fit-1-5-1"))
    from scalarnet.engines.scalar import Exercise

    assert is_curve_fit(Exercise(curve))  # the [graph] file's y_pred is found from its loss formula
    iris = MatrixExercise.load(resolve("iris"))
    tracker = AccuracyPerEpoch(iris)
    iris.train(3, on_epoch=tracker)
    assert set(tracker.values) == {"train", "test"} and len(tracker.values["test"]) == 3
    assert not is_curve_fit(iris)
