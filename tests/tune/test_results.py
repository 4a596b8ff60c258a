"""The results of a search: the rich table ranks best first, the plots draw every trial."""

import pytest

from glassnet.tune import SearchResult, TrialResult

TRIALS = [
    TrialResult(0, {"lr": 0.1, "units": 8}, "finished", [0.5, 0.7, 0.8], 1.0),
    TrialResult(1, {"lr": 0.01, "units": 16}, "pruned", [0.3], 0.2),
    TrialResult(2, {"lr": 0.001, "units": 16}, "failed", [], 0.1, "ValueError: unknown activation 'nope'"),
    TrialResult(3, {"lr": 0.05, "units": 8}, "finished", [0.6, 0.9, 0.85], 1.1),
]


@pytest.fixture
def result():
    return SearchResult(list(TRIALS), "val_accuracy", "max", param_names=["lr", "units"])


def test_best_counts_and_rows(result):
    assert (
        result.best.trial_id == 3
        and result.best_score == 0.9
        and result.best_params == {"lr": 0.05, "units": 8}
    )
    assert result.counts() == {"finished": 2, "pruned": 1, "failed": 1}
    row = result.rows(with_time=False)[3]
    assert row == {
        "trial": 3,
        "status": "finished",
        "lr": 0.05,
        "units": 8,
        "best_val_accuracy": "0.9",
        "best_epoch": 2,
        "epochs": 3,
        "error": "",
        "history": "0.6;0.9;0.85",
    }
    loss = SearchResult(list(TRIALS), "val_loss", "min", param_names=["lr"])
    assert loss.best.trial_id == 1  # the lowest score wins when lower is better


def test_the_rich_table_lists_the_best_first_and_failures_last(result):
    pytest.importorskip("rich")
    table = result.table()
    assert table.columns[0].header == "#" and [c.header for c in table.columns][-1] == "error"
    assert list(table.columns[0].cells) == ["3", "0", "1", "2"]
    assert "4 trials, 2 finished, 1 pruned, 1 failed" in table.title


def test_the_plots_draw_every_trial_and_mark_the_pruned_one(result, tmp_path):
    pytest.importorskip("matplotlib")
    figure = result.plot_curves()
    axis = figure.axes[0]
    curves = [line for line in axis.get_lines() if len(line.get_xdata()) > 1]
    crosses = [line for line in axis.get_lines() if line.get_marker() == "x" and len(line.get_xdata()) == 1]
    assert len(curves) == 2 and [list(c.get_ydata()) for c in curves] == [[0.5, 0.7, 0.8], [0.6, 0.9, 0.85]]
    assert len(crosses) == 1 and list(crosses[0].get_ydata()) == [0.3]
    assert result.plot_scores(tmp_path / "scores.png").stat().st_size > 1000
