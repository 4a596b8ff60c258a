"""ASHA stops a trial at the rungs its formula says: r_k = grace · η^k, cutoff = the 100(1 - 1/η)
percentile of the earlier trials' scores at the rung."""

import pytest

from glassnet import tune
from glassnet.tune.asha import RungBook


def run_curves(curves, scheduler, epochs):
    """Feed synthetic learning curves through the rung book in trial order; the epochs each one ran."""
    book = RungBook(scheduler, epochs, range(len(curves)))
    ran = []
    for trial, curve in enumerate(curves):
        for epoch in range(1, epochs + 1):
            if epoch in book.rungs and not book.decide(trial, epoch, curve[epoch - 1]):
                break
        ran.append(epoch)
        book.end(trial)
    return ran


def test_rungs_are_grace_times_eta_to_the_k_below_the_last_epoch():
    assert tune.ASHA(grace_period=1, reduction_factor=3).rungs(10) == [1, 3, 9]
    assert tune.ASHA(grace_period=2, reduction_factor=2).rungs(16) == [2, 4, 8]
    assert tune.ASHA(grace_period=1, reduction_factor=3, max_epochs=27).rungs(5) == [1, 3, 9]


def test_synthetic_curves_stop_where_the_formula_says():
    flat = lambda value: [value] * 10  # noqa: E731
    curves = [
        flat(0.5),  # first: nothing to compare with, runs all 10 epochs
        flat(0.4),  # rung 1: cutoff = percentile_66.7([0.5]) = 0.5 > 0.4: stopped after epoch 1
        flat(0.6),  # rung 1: percentile_66.7([0.5, 0.4]) = 0.4667; rung 3 and 9: 0.5; runs 10
        [0.7, 0.6, 0.55] + [0.9] * 7,  # rung 1: cutoff 0.5333 (keeps); rung 3: 0.5 + 2/3·0.1 = 0.5667 > 0.55
    ]
    assert run_curves(curves, tune.ASHA(grace_period=1, reduction_factor=3), 10) == [10, 1, 10, 3]


def test_the_cutoff_is_numpys_linear_percentile():
    scheduler = tune.ASHA(reduction_factor=4)
    assert scheduler.cutoff([0.1, 0.2, 0.3, 0.4, 0.5]) == pytest.approx(0.4)  # 75th percentile
    assert scheduler.cutoff([]) is None
    earlier = [0.1, 0.2, 0.3, 0.4, 0.5]
    assert scheduler.keeps(0.4, earlier) and not scheduler.keeps(0.39, earlier)


def test_a_trial_waits_for_the_trials_before_it():
    book = RungBook(tune.ASHA(grace_period=1, reduction_factor=2), 4, range(3))
    assert book.ready(0, 1) and not book.ready(2, 1)
    book.decide(0, 1, 0.5)
    assert not book.ready(2, 1)  # trial 1 has neither passed rung 1 nor ended
    book.end(1)  # it failed before its first rung
    assert book.ready(2, 1)
    assert book.decide(2, 1, 0.6) and book.decide(1, 2, 0.1) is not None


@pytest.mark.parametrize(
    "options, message",
    [
        ({"grace_period": 0}, "grace_period must be an integer >= 1, got 0"),
        ({"reduction_factor": 1}, "> 1, got 1"),
    ],
)
def test_bad_settings_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        tune.ASHA(**options)
