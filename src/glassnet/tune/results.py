"""What a search leaves: the table of its trials (CSV and a rich table), the best trial and its model,
and two plots (the score against each hyperparameter; every trial's learning curve, stopped ones marked).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from glassnet.explain.plots import _pyplot, _save
from glassnet.tune.trial import FAILED, FINISHED, PRUNED, TrialResult

__all__ = ["SearchResult", "read_trials", "append_trial"]

TRIALS_FILE = "trials.jsonl"  # one JSON line per ended trial, appended as each ends: what a resume reads


def append_trial(directory: Path, result: TrialResult) -> None:
    """Add one ended trial to the results folder, in one write (an interrupt cannot leave half a line)."""
    with open(directory / TRIALS_FILE, "a", encoding="utf-8") as file:
        file.write(json.dumps(result.to_dict(), sort_keys=True) + "\n")
        file.flush()


def read_trials(directory: Path) -> dict:
    """The ended trials in a results folder by trial number (a last line cut short is ignored)."""
    path = directory / TRIALS_FILE
    trials = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            trials[record["trial_id"]] = TrialResult(**record)
    return trials


def _cell(value) -> str:
    """A table cell: floats in 4 significant digits (the CSV keeps every digit)."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass
class SearchResult:
    """The trials of a search (by trial number), how to rank them, and the best one's model.

    Attributes:
        trials: one ``TrialResult`` per ended trial, in trial order.
        objective, mode: the validation score ranked and whether "max" or "min" is best.
        best_model: the best trial's model (refit with its seed), or None when ``refit=False``.
        interrupted: True when Ctrl-C stopped the search; the trials that ended are all here.
    """

    trials: list
    objective: str
    mode: str
    param_names: list = field(default_factory=list)
    best_model: object = None
    interrupted: bool = False
    directory: Path | None = None

    @property
    def sign(self) -> float:
        return 1.0 if self.mode == "max" else -1.0

    @property
    def best(self) -> TrialResult | None:
        """The trial with the best validation score over its epochs (failed trials never)."""
        scored = [t for t in self.trials if t.status != FAILED and t.best_score(self.sign) is not None]
        if not scored:
            return None
        # ties go to the lower trial number, whatever order the trials ended in
        return max(scored, key=lambda t: (self.sign * t.best_score(self.sign), -t.trial_id))

    @property
    def best_params(self) -> dict | None:
        return None if self.best is None else dict(self.best.params)

    @property
    def best_score(self) -> float | None:
        return None if self.best is None else self.best.best_score(self.sign)

    def counts(self) -> dict:
        """How many trials finished, were pruned and failed."""
        return {status: sum(t.status == status for t in self.trials) for status in (FINISHED, PRUNED, FAILED)}

    def rows(self, with_time: bool = True) -> list:
        """One dict per trial: its number, status, hyperparameters, best score and epoch, epochs run,
        seconds, error, and the per-epoch scores (``;``-separated)."""
        rows = []
        for trial in self.trials:
            best = trial.best_score(self.sign)
            row = {"trial": trial.trial_id, "status": trial.status}
            row.update({name: trial.params.get(name, "") for name in self.param_names})
            row["best_" + self.objective] = "" if best is None else f"{best:.6g}"
            row["best_epoch"] = "" if best is None else trial.scores.index(best) + 1
            row["epochs"] = len(trial.scores)
            if with_time:
                row["seconds"] = f"{trial.seconds:.3f}"
            row["error"] = trial.error
            row["history"] = ";".join(f"{s:.6g}" for s in trial.scores)
            rows.append(row)
        return rows

    def to_csv(self, path) -> Path:
        """Write the table (``rows``) as CSV; returns the path."""
        path = Path(path)
        rows = self.rows()
        names = list(rows[0]) if rows else ["trial", "status"]
        with open(path, "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=names)
            writer.writeheader()
            writer.writerows(rows)
        return path

    def table(self, top: int | None = None):
        """A rich ``Table`` of the trials, best first (needs rich: ``pip install "glassnet[rich]"``)."""
        try:
            from rich.table import Table  # noqa: PLC0415 - an optional extra
        except ImportError:
            raise ImportError('the table needs rich: pip install "glassnet[rich]"') from None
        counts = self.counts()
        table = Table(
            title=f"search: {len(self.trials)} trials, {counts[FINISHED]} finished, "
            f"{counts[PRUNED]} pruned, {counts[FAILED]} failed (objective {self.objective}, {self.mode})"
        )
        rows = sorted(self.rows(), key=self._rank)[:top]
        short = {"trial": "#", "best_" + self.objective: "best", "best_epoch": "at", "seconds": "s"}
        for name in rows[0] if rows else []:
            if name != "history":
                table.add_column(short.get(name, name), justify="left" if name == "error" else "right")
        for row in rows:
            cells = {**row, "error": _shorten(row["error"], 32)}
            table.add_row(*(_cell(value) for name, value in cells.items() if name != "history"))
        return table

    def _rank(self, row) -> tuple:
        score = row["best_" + self.objective]
        return (score == "", -self.sign * float(score) if score != "" else 0.0, row["trial"])

    def summary(self) -> str:
        """A plain-text line: the best trial, its score and hyperparameters."""
        best = self.best
        if best is None:
            return "no trial ended with a score"
        return (
            f"best trial {best.trial_id}: {self.objective} {self.best_score:.4f} with {best.params} "
            f"({len(self.trials)} trials: " + ", ".join(f"{n} {s}" for s, n in self.counts().items()) + ")"
        )

    def plot_scores(self, path=None):
        """The best score of each trial against each hyperparameter, one panel per name (pruned trials
        hollow, failed ones left out); numbers on a log axis when they span two decades or more."""
        plt = _pyplot()
        names = self.param_names or ["trial"]
        columns = min(3, len(names))
        rows = math.ceil(len(names) / columns)
        figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.4 * rows), squeeze=False)
        for axis, name in zip(axes.flat, names):
            for status, style in ((FINISHED, {}), (PRUNED, {"facecolors": "none"})):
                points = [
                    (t.params.get(name), t.best_score(self.sign))
                    for t in self.trials
                    if t.status == status and t.best_score(self.sign) is not None and name in t.params
                ]
                if points:
                    xs, ys = zip(*points)
                    xs = [x if isinstance(x, (int, float)) else str(x) for x in xs]
                    axis.scatter(xs, ys, edgecolors="C0", label=status, **style)
            values = {t.params[name] for t in self.trials if isinstance(t.params.get(name), (int, float))}
            if values and min(values) > 0 and max(values) / min(values) >= 100:
                axis.set_xscale("log")
            elif values and len(values) <= 10:
                axis.set_xticks(sorted(values))
            axis.set_xlabel(name)
            axis.set_ylabel(self.objective)
            axis.grid(alpha=0.3)
        for axis in list(axes.flat)[len(names) :]:
            axis.set_visible(False)
        axes.flat[0].legend()
        return _save(plt, figure, path)

    def plot_curves(self, path=None):
        """Every trial's validation score per epoch; a pruned trial's curve ends in a cross, the best
        trial's is drawn thick."""
        plt = _pyplot()
        figure, axis = plt.subplots(figsize=(7, 4.2))
        best = self.best
        for trial in self.trials:
            if not trial.scores:
                continue
            epochs = range(1, len(trial.scores) + 1)
            thick = best is not None and trial.trial_id == best.trial_id
            axis.plot(epochs, trial.scores, lw=2.5 if thick else 1, alpha=1 if thick else 0.6)
            if trial.status == PRUNED:
                axis.plot(len(trial.scores), trial.scores[-1], "x", color="black")
        axis.plot([], [], "x", color="black", label="pruned by the scheduler")
        if best is not None:
            axis.plot([], [], lw=2.5, color="grey", label=f"best: trial {best.trial_id}")
        axis.set_xlabel("epoch")
        axis.xaxis.get_major_locator().set_params(integer=True)
        axis.set_ylabel(self.objective)
        axis.grid(alpha=0.3)
        axis.legend()
        return _save(plt, figure, path)
