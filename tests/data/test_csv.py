"""read_csv: numeric and categorical columns, the target, and the errors for bad files."""

from __future__ import annotations

import io

import numpy as np
import pytest

from glassnet.data import read_csv

PETS = """\
weight,colour,legs,kind
4.5,black,4,cat
30.0,brown,4,dog
0.2, green ,0,fish
3.9,white,4,cat
"""


@pytest.fixture
def write(tmp_path):
    def make(text, name="data.csv"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return make


def test_numeric_one_hot_and_class_names(write):
    X, y, info = read_csv(write(PETS), target="kind")
    assert info.columns == ["weight", "colour", "legs", "kind"]
    assert info.target == "kind"
    assert info.feature_names == [
        "weight",
        "colour=black",
        "colour=brown",
        "colour=green",
        "colour=white",
        "legs",
    ]
    assert info.categories == {"colour": ["black", "brown", "green", "white"]}
    assert X.dtype == np.float64
    np.testing.assert_array_equal(
        X,
        [
            [4.5, 1, 0, 0, 0, 4],
            [30.0, 0, 1, 0, 0, 4],
            [0.2, 0, 0, 1, 0, 0],  # " green " is stripped
            [3.9, 0, 0, 0, 1, 4],
        ],
    )
    assert info.classes == ["cat", "dog", "fish"]
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 2, 0]
    assert [info.classes[k] for k in y] == ["cat", "dog", "fish", "cat"]  # mapping back


def test_label_encoding_features_by_name_and_target_by_position(write):
    X, y, info = read_csv(write(PETS), target=-1, categorical="label", features=["colour", "weight"])
    assert info.feature_names == ["colour", "weight"]
    np.testing.assert_array_equal(X, [[0, 4.5], [1, 30.0], [2, 0.2], [3, 3.9]])
    assert info.categories["colour"][int(X[2, 0])] == "green"


def test_numeric_targets(write):
    _, y, info = read_csv(write("a,label\n1.5,0\n2.5,1\n3.5,1\n"), target="label")
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 1] and info.classes is None
    _, y, _ = read_csv(write("a,price\n1,10.5\n2,20\n"), target="price")
    assert y.dtype == np.float64 and y.tolist() == [10.5, 20.0]
    X, y, info = read_csv(write("a,b\n1,2\n3,4\n"), target=None)
    assert y is None and X.tolist() == [[1, 2], [3, 4]] and info.target is None


def test_open_files_blank_lines_and_byte_order_mark(write):
    path = write("\ufeffx;y\n1;2\n\n3;4\n")
    X, y, info = read_csv(path, target="y", delimiter=";")
    assert info.columns == ["x", "y"] and X.ravel().tolist() == [1.0, 3.0] and y.tolist() == [2, 4]
    X, y, _ = read_csv(io.StringIO("x,y\n5,6\n"), target="y")
    assert X.tolist() == [[5.0]] and y.tolist() == [6]


def test_missing_values_name_the_columns_and_lines(write):
    text = "weight,colour,legs,kind\n4.5,black,4,cat\n,brown,4,dog\n0.2,NA,0,fish\n3.9,white,NaN,\n"
    with pytest.raises(ValueError) as caught:
        read_csv(write(text), target="kind")
    message = str(caught.value)
    assert "data.csv has missing values" in message
    assert "column 'weight' on line 3;" in message
    assert "column 'colour' on line 4;" in message
    assert "column 'legs' on line 5;" in message
    assert "column 'kind' on line 5" in message
    assert "Drop those rows, or fill them in" in message


def test_missing_values_in_unused_columns_are_fine(write):
    X, y, _ = read_csv(write("a,notes,y\n1,,0\n2,?,1\n"), target="y", features=["a"])
    assert X.tolist() == [[1.0], [2.0]] and y.tolist() == [0, 1]


def test_many_missing_lines_are_abbreviated(write):
    text = "a,y\n" + "".join(f",{i}\n" for i in range(15))
    with pytest.raises(ValueError, match=r"column 'a' on lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 5 more"):
        read_csv(write(text), target="y")


def test_a_missing_column_lists_the_available_ones(write):
    path = write(PETS)
    with pytest.raises(
        ValueError,
        match="target column 'species' is not in .*data.csv; available columns: "
        "'weight', 'colour', 'legs', 'kind'",
    ):
        read_csv(path, target="species")
    with pytest.raises(ValueError, match="feature column 'size' is not in"):
        read_csv(path, target="kind", features=["weight", "size"])
    with pytest.raises(ValueError, match="out of range"):
        read_csv(path, target=7)
    with pytest.raises(ValueError, match="also listed among the features"):
        read_csv(path, target="kind", features=["kind"])


def test_malformed_files(write):
    with pytest.raises(ValueError, match="line 3: 2 fields, but the header has 3"):
        read_csv(write("a,b,y\n1,2,3\n4,5\n"), target="y")
    with pytest.raises(ValueError, match="is empty"):
        read_csv(write(""), target="y")
    with pytest.raises(ValueError, match="no data rows"):
        read_csv(write("a,y\n"), target="y")
    with pytest.raises(ValueError, match="more than once: a"):
        read_csv(write("a,a,y\n1,2,3\n"), target="y")
    with pytest.raises(ValueError, match="line 3: column 'a' holds the non-finite value 'inf'"):
        read_csv(write("a,y\n1,0\ninf,1\n"), target="y")
    with pytest.raises(ValueError, match="categorical must be 'onehot' or 'label'"):
        read_csv(write(PETS), target="kind", categorical="ordinal")
