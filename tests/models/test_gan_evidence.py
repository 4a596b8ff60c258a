"""The evidence issue 17 asks for, small and fast: a seeded DCGAN run repeats exactly and a saved DCGAN
(both networks with batch norm's running statistics, both optimizers) resumes step for step; the
mode-collapse and discriminator-wins warnings fire on runs made to fail (a generator with a one-number
latent space; a discriminator learning 10x faster) and stay quiet on the healthy run (an MLP GAN on a 2-D
mixture of four Gaussians, whose classes a nearest-centre classifier tells apart)."""

import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import models, nn, optim
from glassnet.train.callbacks import GANMonitor, GANWarning

CENTRES = 0.6 * np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])


def _dcgan():
    gan = models.DCGAN(latent_dim=4, width=2)
    adam = {"lr": 2e-3, "beta_1": 0.5, "convention": "pytorch"}
    gan.compile(optim.Adam(**adam), optim.Adam(**adam), label_smoothing=0.1)
    return gan


def _digits():
    return np.random.default_rng(7).integers(0, 256, (24, 1, 28, 28)).astype(np.uint8)


def _fit(gan, epochs, initial_epoch=0):
    gan.fit(
        _digits(), epochs=epochs, initial_epoch=initial_epoch, batch_size=8, input_range=(0, 255), verbose=0
    )


def _assert_identical(first, second):
    mine, theirs = first.state_dict(), second.state_dict()
    assert sorted(mine) == sorted(theirs)
    assert any("running_mean" in key for key in mine)  # batch norm's statistics are compared too
    for key in mine:
        np.testing.assert_array_equal(mine[key], theirs[key], err_msg=key)
    for name in ("generator", "discriminator"):
        a, b = first.optimizers[name].state_dict()["state"], second.optimizers[name].state_dict()["state"]
        assert a.keys() == b.keys()
        for index in a:
            for key in a[index]:
                np.testing.assert_array_equal(a[index][key], b[index][key], err_msg=f"{name} {index} {key}")


def test_a_seeded_dcgan_run_repeats_and_a_saved_one_resumes_step_for_step(tmp_path):
    gn.manual_seed(11)
    straight = _dcgan()
    _fit(straight, 2)  # two epochs in one go

    gn.manual_seed(11)
    again = _dcgan()
    _fit(again, 2)
    _assert_identical(straight, again)  # the same seed, the same run, bit for bit

    gn.manual_seed(11)
    first = _dcgan()
    _fit(first, 1)
    first.save(tmp_path / "dcgan.glassnet")  # the file holds where the seeded stream stands after epoch 1
    gn.manual_seed(999)  # anything drawn in between...
    resumed = gn.load_model(tmp_path / "dcgan.glassnet", restore_rng=True)  # ...is undone
    assert resumed.optimizers["generator"].state_dict()["state"][0]["step"] == 3  # 24 images, batches of 8
    _fit(resumed, 2, initial_epoch=1)
    _assert_identical(straight, resumed)  # 1 epoch, save, load, 1 more == 2 epochs


def _mixture(n=1024, seed=1):
    rng = np.random.default_rng(seed)
    return (CENTRES[rng.integers(0, 4, n)] + rng.normal(0, 0.08, (n, 2))).astype(np.float32)


def _nearest_centre():
    """Logits c_k·x: with the centres at one distance from 0, the largest is the nearest centre's."""
    classifier = nn.Sequential([nn.Dense(4)], input_shape=(2,))
    classifier.layers[0].weight.data[...] = CENTRES.T
    return classifier


def _train(latent_dim, generator_optimizer, discriminator_optimizer, x, loss="minimax", seed=1):
    gn.manual_seed(seed)
    gan = models.MLPGAN(latent_dim=latent_dim, image_shape=(2,), hidden=32)
    gan.compile(generator_optimizer, discriminator_optimizer, loss=loss)
    monitor = GANMonitor(
        classifier=_nearest_centre(), coverage_samples=1000, collapse_share=0.45, patience=20
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GANWarning)
        history = gan.fit(x, epochs=6, batch_size=64, verbose=0, callbacks=[monitor])
    assert [str(w.message).split(":")[1].strip() for w in caught] == [
        {"mode_collapse": "mode collapse", "discriminator_wins": "the discriminator wins"}[kind]
        for kind in monitor.warnings
    ]
    return monitor.warnings, history.history


def _adam(lr):
    return optim.Adam(lr=lr, beta_1=0.5, convention="pytorch")


def test_the_healthy_run_is_quiet_and_a_one_number_latent_space_collapses():
    given, history = _train(8, _adam(1e-3), _adam(1e-2), _mixture())
    assert given == []  # every epoch's largest class share stays under 0.45 (uniform: 0.25)
    assert max(history["coverage_max"]) < 0.4 and history["coverage_max"][-1] < 0.3
    assert min(history["d_fake"]) > 0.3  # and the discriminator never runs away

    given, history = _train(1, _adam(1e-3), _adam(1e-2), _mixture())
    assert given == ["mode_collapse"]  # z of one number traces a curve: about two of the four modes
    assert min(history["coverage_max"]) > 0.45


def test_a_discriminator_learning_ten_times_faster_wins_and_the_same_pace_does_not():
    corner = np.random.default_rng(0).uniform(0.5, 1.0, (1024, 2)).astype(np.float32)  # far from G's start
    given, history = _train(8, optim.SGD(lr=1e-3), _adam(1e-3), corner, seed=0)
    assert "discriminator_wins" not in given and history["d_loss"][-1] > 0.1  # D ahead, but not winning
    given, history = _train(8, optim.SGD(lr=1e-3), _adam(1e-2), corner, seed=0)
    assert "discriminator_wins" in given
    assert history["d_loss"][-1] < 0.01 and history["d_fake"][-1] < 0.01
    # the non-saturating loss keeps the generator's gradient alive against the same fast discriminator
    given, history = _train(8, optim.SGD(lr=1e-3), _adam(1e-2), corner, loss="non_saturating", seed=0)
    assert "discriminator_wins" not in given and history["d_fake"][-1] > 0.1


def test_the_collapse_warning_needs_a_classifier_of_the_gans_images():
    gan = models.MLPGAN(latent_dim=2, image_shape=(2,), hidden=4)
    gan.compile()
    wrong = nn.Sequential([nn.Dense(4)], input_shape=(3,), name="wrong")
    message = (
        r"classifier 'wrong' takes inputs of shape \(None, 3\) but the GAN 'mlp_gan' makes images of shape"
    )
    with pytest.raises(ValueError, match=message):
        gan.fit(_mixture(64), epochs=1, batch_size=32, verbose=0, callbacks=[GANMonitor(classifier=wrong)])


def test_noise_of_another_latent_dim_is_refused_naming_the_gan():
    gan = models.MLPGAN(latent_dim=3, image_shape=(2,), hidden=4)
    with pytest.raises(
        ValueError, match=r"GAN 'mlp_gan': the noise z must have shape \(N, 3\) .*got \(5, 4\)"
    ):
        gan.predict(np.zeros((5, 4), np.float32))
    assert gan.predict(np.zeros((5, 3), np.float32)).shape == (5, 2)
