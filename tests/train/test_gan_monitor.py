"""GANMonitor: the discriminator-wins warning fires after ``patience`` losing batches in a row and not on
a broken run of them; the collapse warning fires for a generator that makes one kind of image and stays
quiet for an even one, after ``collapse_patience`` epochs in a row; grids of fixed-noise samples are
written every epoch; the GAN logs gradient norms."""

import warnings

import numpy as np
import pytest

from glassnet import models, nn, optim
from glassnet.train.callbacks import GANMonitor, GANWarning
from glassnet.train.generative_metrics import class_probabilities, classifier_score


def _gan(generator_weight):
    generator = nn.Sequential([nn.Dense(4, activation="tanh"), nn.Reshape((1, 2, 2))], input_shape=(4,))
    generator.layers[0].weight.data[...] = generator_weight
    discriminator = nn.Sequential([nn.Flatten(), nn.Dense(1)], input_shape=(1, 2, 2))
    gan = models.GAN(generator, discriminator, latent_dim=4)
    gan.compile(optim.SGD(lr=0.0), optim.SGD(lr=0.0))  # nothing moves: the generator stays as made
    return gan


def _classifier():
    """Class k for images whose pixel k is largest."""
    classifier = nn.Sequential([nn.Flatten(), nn.Dense(4)], input_shape=(1, 2, 2))
    classifier.layers[1].weight.data[...] = np.eye(4)
    return classifier


def _images():
    return np.random.default_rng(0).uniform(-0.9, 0.9, (16, 1, 2, 2))


def test_collapse_warning_fires_for_one_kind_of_image_only(tmp_path):
    healthy = GANMonitor(directory=tmp_path, samples=8, classifier=_classifier(), coverage_samples=400)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GANWarning)
        history = _gan(np.eye(4)).fit(_images(), epochs=2, batch_size=8, verbose=0, callbacks=[healthy])
    assert healthy.warnings == []
    assert 0.2 < history.history["coverage_max"][0] < 0.32  # z's largest coordinate: a quarter each
    for epoch, logged in enumerate(history.history["classifier_score"]):  # the score of the same samples
        noise = np.random.default_rng(healthy.seed + 1 + epoch).standard_normal((400, 4)).astype(np.float32)
        probabilities = class_probabilities(_classifier(), healthy.model.generator.predict(noise))
        assert logged == pytest.approx(classifier_score(probabilities), rel=1e-12)
        assert logged > 1.05  # soft probabilities of a spread-out generator: above the collapsed 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "samples_epoch001.png", "samples_epoch002.png", "samples_over_epochs.png"
    ]
    import matplotlib.pyplot as plt

    strip = plt.imread(tmp_path / "samples_over_epochs.png")
    assert strip.shape[:2] == (2 * 3, 8 * 3)  # one row of 8 images (2x2 plus a 1-pixel gap) per epoch
    first_row = plt.imread(tmp_path / "samples_epoch001.png")[:3]
    np.testing.assert_array_equal(strip[:3], first_row)  # epoch 1's row is the first row of its grid

    collapsed = GANMonitor(classifier=_classifier(), coverage_samples=400, collapse_patience=1)
    gan = _gan(np.zeros((4, 4)))
    gan.generator.layers[0].bias.data[...] = [0.0, 0.0, 0.5, 0.0]  # every sample the same: class 2
    with pytest.warns(GANWarning, match=r"mode collapse: 100% of 400 samples fall in class 2 .*in epoch 1\)"):
        history = gan.fit(_images(), epochs=1, batch_size=8, verbose=0, callbacks=[collapsed])
    assert history.history["coverage_max"] == [1.0]
    assert history.history["classifier_score"] == [pytest.approx(1.0)]  # one image: p(y|x) = p(y)


def test_coverage_and_score_read_the_generator_being_trained_not_its_lagging_average():
    # the average holds a generator that makes one kind of image (as early in training, when it is still
    # mostly the initial generator) while the generator itself is healthy: no collapse, its coverage logged
    from glassnet.train.callbacks import Callback

    gan = _gan(np.eye(4))
    gan = models.GAN(gan.generator, gan.discriminator, latent_dim=4, ema_decay=0.999)
    gan.compile(optim.SGD(lr=0.0), optim.SGD(lr=0.0))

    class CollapseTheAverage(Callback):  # runs before the monitor at each epoch's end
        def on_epoch_end(self, epoch, logs=None):
            average = gan.generator_ema.module.layers[0]
            average.weight.data[...] = 0.0
            average.bias.data[...] = [0.0, 0.0, 0.5, 0.0]

    monitor = GANMonitor(classifier=_classifier(), coverage_samples=400, collapse_patience=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GANWarning)
        callbacks = [CollapseTheAverage(), monitor]
        history = gan.fit(_images(), epochs=1, batch_size=8, verbose=0, callbacks=callbacks)
    assert 0.2 < history.history["coverage_max"][0] < 0.32 and history.history["classifier_score"][0] > 1.05
    noise = np.random.default_rng(monitor.seed + 1).standard_normal((4, 4)).astype(np.float32)
    images = gan.predict(noise)  # what the grids show: the average, one image for all noise
    assert np.ptp(images, axis=0).max() == 0.0 and images[0, 0, 1, 0] > 0.4


@pytest.mark.parametrize(
    ("shares", "warned"),
    [
        ([0.84, 0.21, 0.18], None),
        ([0.84, 0.5, 0.2], "epochs 1-2"),
        ([0.3, 0.84, 0.2, 0.9, 0.9], "epochs 4-5"),
    ],
)
def test_collapse_warning_waits_for_collapse_patience_epochs_in_a_row(monkeypatch, shares, warned):
    # the default, 2: one epoch's sample above collapse_share (a noisy witness early in training) is quiet
    from glassnet.train.callbacks import gan_monitor

    largest = iter(shares)
    monkeypatch.setattr(gan_monitor, "class_coverage", lambda p: np.array([next(largest), 0.05]))
    monitor = GANMonitor(classifier=_classifier(), coverage_samples=10)
    monitor.model = _gan(np.eye(4))
    monitor.on_train_begin()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GANWarning)
        for epoch in range(len(shares)):
            monitor.on_epoch_end(epoch, {})
    messages = [str(w.message) for w in caught]
    if warned is None:
        assert messages == [] and monitor.warnings == []
    else:
        assert len(messages) == 1 and f"above 40% in {warned})" in messages[0], messages
        assert monitor.warnings == ["mode_collapse"]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_collapse_patience_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="collapse_patience must be a positive int"):
        GANMonitor(collapse_patience=bad)


def test_discriminator_wins_warning_needs_patience_batches_in_a_row():
    monitor = GANMonitor(patience=3)
    monitor.model = _gan(np.eye(4))
    monitor.on_train_begin()
    losing = {"d_loss": 0.01, "d_fake": 0.01}
    with warnings.catch_warnings():
        warnings.simplefilter("error", GANWarning)
        for logs in (losing, losing, {"d_loss": 0.5, "d_fake": 0.3}, losing, losing):
            monitor.on_batch_end(0, logs)
    with pytest.warns(GANWarning, match=r"wins: d_loss 0.01 and mean D\(G\(z\)\) 0.01 for 3"):
        monitor.on_batch_end(0, losing)
    assert monitor.warnings == ["discriminator_wins"]


def test_a_discriminator_learning_much_faster_wins_on_a_real_run():
    gan = models.MLPGAN(latent_dim=2, image_shape=(1, 4, 4), hidden=16)
    gan.compile(optim.SGD(lr=1e-4), optim.Adam(lr=5e-2, convention="pytorch"), loss="minimax")
    images = np.random.default_rng(0).uniform(0.5, 1.0, (256, 1, 4, 4))  # easy to tell from G's start
    monitor = GANMonitor(patience=20)
    with pytest.warns(GANWarning, match="the discriminator wins"):
        history = gan.fit(images, epochs=4, batch_size=32, verbose=0, callbacks=[monitor])
    assert history.history["d_fake"][-1] < 0.05
    assert all(norm > 0 for norm in history.history["g_grad_norm"] + history.history["d_grad_norm"])
