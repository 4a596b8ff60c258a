"""Worked solutions and documents as a reader sees them (issue 15): no value written twice, no raw NumPy
printing in Markdown, whole HTML pages with aligned cells."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from glassnet.cli.explain import explain_document
from glassnet.explain.document import Document, Table, Text
from glassnet.io.config import read_toml

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "explain"


def document(name: str) -> Document:
    return explain_document(read_toml(EXAMPLES / name), name)


def test_linear_layers_read_a_equals_z_once():
    text = document("regression_004.toml").to_text()
    assert "a₁⁽¹⁾ = z = 0.6\n" in text and "a₁⁽²⁾ = z = 0.28\n" in text
    assert "∂a₁⁽¹⁾/∂z₁⁽¹⁾ = 1\n" in text  # a constant derivative: no "= 1 = 1"
    assert "L = (ŷ - y)² = (0.28 - 1.5)² = 1.4884" in text
    for line in text.splitlines():
        parts = line.split(" = ")
        assert all(a != b for a, b in zip(parts[1:], parts[2:])), line


def test_markdown_of_bptt_writes_arrays_as_math():
    markdown = document("rnn_bptt.toml").to_markdown()
    assert "[[" not in markdown and "\n [" not in markdown
    assert r"Input sequence x_1..x_T: $\begin{bmatrix} 1 \\ 2 \\ -1 \end{bmatrix}$" in markdown


def test_html_is_a_fragment_for_notebooks_and_a_page_for_files(tmp_path):
    doc = Document("Σ and ∂")
    section = doc.section("table")
    section.add(Table(["name", "value"], [["w", 0.5], ["b", np.array([1.0, 2.0])]]))
    section.add(Text("words"))
    fragment = doc._repr_html_()
    assert fragment.startswith('<div class="glassnet-explain">') and "<!DOCTYPE" not in fragment
    assert '<tr><td>w</td><td class="number">0.5</td></tr>' in fragment
    assert "padding: 2px 10px" in fragment  # the cells are padded, words left and numbers right
    page = doc.save(tmp_path / "doc.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "<title>Σ and ∂</title>" in page and page.rstrip().endswith("</html>")
