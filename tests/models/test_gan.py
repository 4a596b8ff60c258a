"""GANs: the hand-written PyTorch way (two optimizers, detach, two backward passes) and ``GAN.train_step``
match PyTorch doing the same in float64; the losses' values; fit through the one loop (History, callbacks,
Ctrl-C, checkpoints); a seeded run repeats; a saved GAN resumes step for step; bad input is refused."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import models, nn, optim
from glassnet.models.gan import discriminator_loss, generator_loss
from glassnet.train.callbacks import Callback, ModelCheckpoint

torch = pytest.importorskip("torch")

_spec = importlib.util.spec_from_file_location(
    "gan_mnist", Path(__file__).resolve().parents[2] / "examples" / "gan_mnist.py"
)
gan_mnist = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gan_mnist)


def _adam(params=None):
    return optim.Adam(params, lr=1e-2, beta_1=0.5, convention="pytorch")


def _torch_adam(module):
    return torch.optim.Adam(module.parameters(), lr=1e-2, betas=(0.5, 0.999))


def _small_networks():
    layers = [nn.Dense(6, activation="relu"), nn.Dense(4, activation="tanh")]
    generator = nn.Sequential(layers, input_shape=(3,))
    discriminator = nn.Sequential([nn.Dense(5), nn.LeakyReLU(0.2), nn.Dense(1)], input_shape=(4,))
    return generator, discriminator


def _assert_same_parameters(ours: nn.Sequential, theirs, rtol=1e-10):
    mine = [p.data for p in ours.parameters()]
    other = [p.detach().numpy() for p in theirs.parameters()]
    assert len(mine) == len(other)
    for a, b in zip(mine, other):
        b = b.T if a.ndim == 2 and a.shape == b.T.shape and a.shape != b.shape else b
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12)


def test_the_pytorch_way_by_hand_matches_pytorch(float64):
    generator, discriminator = _small_networks()
    t_generator, t_discriminator = gan_mnist.torch_twin(generator), gan_mnist.torch_twin(discriminator)
    g_opt, d_opt = _adam(generator.parameters()), _adam(discriminator.parameters())
    tg_opt, td_opt = _torch_adam(t_generator), _torch_adam(t_discriminator)
    rng = np.random.default_rng(0)
    bce = nn.BinaryCrossEntropy(from_logits=True)
    t_bce = torch.nn.functional.binary_cross_entropy_with_logits
    for _ in range(2):
        real, z = rng.uniform(-1, 1, (5, 4)), rng.standard_normal((5, 3))
        ones, zeros = np.ones((5, 1)), np.zeros((5, 1))
        # glassnet, by hand
        fake = generator(gn.tensor(z))
        d_opt.zero_grad()
        d_real = bce(discriminator(gn.tensor(real)), gn.tensor(ones))
        d_real.backward()
        d_fake = bce(discriminator(fake.detach()), gn.tensor(zeros))
        d_fake.backward()  # accumulates into the same gradients
        d_opt.step()
        g_loss = bce(discriminator(fake), gn.tensor(ones))
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()
        # PyTorch, the same
        t_fake = t_generator(torch.tensor(z))
        td_opt.zero_grad()
        t_real = t_bce(t_discriminator(torch.tensor(real)), torch.tensor(ones))
        t_real.backward()
        t_fake_loss = t_bce(t_discriminator(t_fake.detach()), torch.tensor(zeros))
        t_fake_loss.backward()
        td_opt.step()
        t_g_loss = t_bce(t_discriminator(t_fake), torch.tensor(ones))
        tg_opt.zero_grad()
        t_g_loss.backward()
        tg_opt.step()
        for ours, theirs in ((d_real, t_real), (d_fake, t_fake_loss), (g_loss, t_g_loss)):
            np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)
        _assert_same_parameters(generator, t_generator)
        _assert_same_parameters(discriminator, t_discriminator)
        # the discriminator's gradients hold the generator step's share too, as PyTorch's
        for ours, theirs in zip(discriminator.parameters(), t_discriminator.parameters()):
            expected = theirs.grad.numpy()
            np.testing.assert_allclose(ours.grad, expected.T if ours.ndim == 2 else expected, rtol=1e-10)


@pytest.mark.parametrize("hidden", [None, 5])  # 5: the discriminator's hidden dense + batch norm layer
def test_dcgan_train_step_matches_pytorch(float64, hidden):
    gan = models.DCGAN(latent_dim=3, width=2, discriminator_hidden=hidden)
    if hidden:
        kinds = [type(layer).__name__ for layer in gan.discriminator.layers[-4:]]
        assert kinds == ["Dense", "BatchNorm", "LeakyReLU", "Dense"]
        assert gan.discriminator.layers[-4].units == hidden
    gan.compile(_adam(), _adam())
    t_generator = gan_mnist.torch_twin(gan.generator)
    t_discriminator = gan_mnist.torch_twin(gan.discriminator)
    tg_opt, td_opt = _torch_adam(t_generator), _torch_adam(t_discriminator)
    rng = np.random.default_rng(1)
    for _ in range(2):
        real = rng.uniform(-1, 1, (4, 1, 28, 28))
        gn.manual_seed(7)
        logs = gan.train_step((gn.tensor(real),))
        gn.manual_seed(7)
        z = torch.from_numpy(gan.sample_latent(4).data)
        expected = gan_mnist.torch_step(t_generator, t_discriminator, tg_opt, td_opt, torch.tensor(real), z)
        np.testing.assert_allclose(logs["d_loss"], expected["d_loss"], rtol=1e-10)
        np.testing.assert_allclose(logs["g_loss"], expected["g_loss"], rtol=1e-10)
    _assert_same_parameters(gan.generator, t_generator, rtol=1e-9)
    _assert_same_parameters(gan.discriminator, t_discriminator, rtol=1e-9)
    # batch norm's running statistics moved the same way
    ours = gan.generator.layers[1].running_mean
    np.testing.assert_allclose(ours, t_generator[1].running_mean.numpy(), rtol=1e-9)


def test_loss_values_at_even_odds(float64):
    zero = gn.tensor(np.zeros((4, 1)))
    log2 = np.log(2.0)
    assert discriminator_loss("non_saturating", zero, zero).item() == pytest.approx(2 * log2, rel=1e-12)
    assert generator_loss("non_saturating", zero).item() == pytest.approx(log2, rel=1e-12)
    assert generator_loss("minimax", zero).item() == pytest.approx(-log2, rel=1e-12)
    # one-sided smoothing: real target 0.9; BCE(0, 0.9) = log 2 for a logit of 0 whatever the target
    two = gn.tensor(np.full((4, 1), 2.0))
    expected = -(0.9 * np.log(1 / (1 + np.exp(-2.0))) + 0.1 * np.log(1 - 1 / (1 + np.exp(-2.0)))) + log2
    assert discriminator_loss("minimax", two, zero, 0.1).item() == pytest.approx(expected, rel=1e-12)
    assert discriminator_loss("least_squares", two, two, 0.1).item() == pytest.approx(
        0.5 * 1.1**2 + 0.5 * 4, rel=1e-12
    )
    assert generator_loss("least_squares", two).item() == pytest.approx(0.5, rel=1e-12)


def _mlp_gan(**compile_args):
    gan = models.MLPGAN(latent_dim=4, image_shape=(1, 4, 4), hidden=8)
    gan.compile(_adam(), _adam(), **compile_args)
    return gan


def _images(n=48):
    return np.random.default_rng(3).uniform(-1, 1, (n, 1, 4, 4)).astype(np.float32)


def test_fit_runs_through_the_one_loop_with_history_and_callbacks(tmp_path):
    gan = _mlp_gan(discriminator_steps=2, label_smoothing=0.1, loss="least_squares")
    seen = []

    class Batches(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(dict(logs))

    checkpoint = ModelCheckpoint(tmp_path / "gan-{epoch}.glassnet", monitor="g_loss")
    history = gan.fit(_images(), epochs=2, batch_size=16, verbose=0, callbacks=[Batches(), checkpoint])
    names = ["d_fake", "d_grad_norm", "d_loss", "d_real", "g_grad_norm", "g_loss"]
    assert sorted(history.history) == names
    assert len(seen) == 6 and sorted(seen[0]) == names
    # the epoch's logs are the batches' means (equal batches)
    np.testing.assert_allclose(history.history["d_loss"][1], np.mean([s["d_loss"] for s in seen[3:]]))
    assert history.history["d_loss"][0] != history.history["d_loss"][1]
    loaded = gn.load_model(tmp_path / "gan-2.glassnet")
    gn.manual_seed(9)
    expected = gan.generate(2)
    gn.manual_seed(9)
    np.testing.assert_array_equal(loaded.generate(2), expected)
    assert loaded.compile_settings == gan.compile_settings


def test_a_seeded_run_repeats_and_a_saved_gan_resumes_step_for_step(tmp_path):
    gn.manual_seed(5)
    first = _mlp_gan()
    first.fit(_images(), epochs=1, batch_size=16, verbose=0)
    first.save(tmp_path / "gan.glassnet")
    first.fit(_images(), epochs=2, initial_epoch=1, batch_size=16, verbose=0)

    gn.manual_seed(999)  # anything drawn in between does not matter: the file holds the random stream
    resumed = gn.load_model(tmp_path / "gan.glassnet", restore_rng=True)
    assert resumed.optimizers["generator"].state_dict()["state"][0]["step"] == 3
    resumed.fit(_images(), epochs=2, initial_epoch=1, batch_size=16, verbose=0)
    for a, b in zip(first.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.data, b.data)

    gn.manual_seed(5)
    again = _mlp_gan()
    again.fit(_images(), epochs=2, batch_size=16, verbose=0)
    for a, b in zip(first.parameters(), again.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_ctrl_c_in_a_custom_step_keeps_the_finished_epochs():
    class Counting(nn.Module):
        def __init__(self):
            super().__init__()
            self.dense = nn.Dense(1)
            self.dense.build((None, 2))
            self.build((None, 2))
            self.steps = 0

        def train_step(self, batch):
            self.steps += 1
            if self.steps == 5:
                raise KeyboardInterrupt
            return {"seen": batch[0].shape[0]}

    model = Counting()
    history = model.fit(np.zeros((8, 2)), epochs=3, batch_size=4, verbose=0)
    assert history.interrupted and history.history == {"seen": [4.0, 4.0]}


def test_train_step_must_return_numbers():
    class Bad(nn.Module):
        def train_step(self, batch):
            return "fine"

    model = Bad(name="bad")
    model.build((None, 2))
    with pytest.raises(TypeError, match=r"bad.train_step must return its logs as a dict of numbers"):
        model.fit(np.zeros((4, 2)), epochs=1, verbose=0)


def test_bad_input_is_refused_with_one_clear_line():
    gan = _mlp_gan()
    pixels = np.random.default_rng(0).integers(0, 256, (8, 1, 4, 4)).astype(np.uint8)
    with pytest.raises(ValueError, match=r"range over \[0, 25\d\] but the generator's outputs lie in"):
        gan.fit(pixels, verbose=0)
    history = gan.fit(pixels, input_range=(0, 255), verbose=0)
    assert np.isfinite(history.history["g_loss"][0])
    with pytest.raises(ValueError, match=r"makes images of shape \(1, 4, 4\), got training images of shape"):
        gan.fit(np.zeros((8, 16)), verbose=0)
    generator, discriminator = _small_networks()
    with pytest.raises(ValueError, match=r"latent_dim is 5 but the generator '.*' takes inputs of shape"):
        models.GAN(generator, discriminator, latent_dim=5)
    two_logits = nn.Sequential([nn.Dense(2)], input_shape=(4,))
    with pytest.raises(ValueError, match=r"must give one logit per image, shape \(N, 1\), got \(N, 2\)"):
        models.GAN(generator, two_logits, latent_dim=3)
    with pytest.raises(RuntimeError, match="needs compile"):
        models.GAN(generator, discriminator, latent_dim=3).fit(np.zeros((4, 4)), verbose=0)
    with pytest.raises(ValueError, match="loss must be one of"):
        gan.compile(loss="wasserstein")


def test_a_gan_with_a_moving_average_samples_from_it_and_resumes_it_step_for_step(tmp_path):
    gn.manual_seed(6)
    gan = models.MLPGAN(latent_dim=4, image_shape=(1, 4, 4), hidden=8, ema_decay=0.9)
    gan.compile(_adam(), _adam())
    watched = optim.AveragedModel(gan.generator, decay=0.9, use_buffers=True)

    class Follow(Callback):  # the same average, kept by hand after every generator step
        def on_batch_end(self, batch, logs=None):
            watched.update_parameters(gan.generator)

    gan.fit(_images(), epochs=1, batch_size=16, verbose=0, callbacks=[Follow()])
    assert int(gan.generator_ema.n_averaged) == 3
    for a, b in zip(gan.generator_ema.parameters(), watched.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    z = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_array_equal(gan.predict(z), gan.generator_ema.module.predict(z))
    assert not np.allclose(gan.predict(z), gan.generator.predict(z))  # the average, not the last weights

    gan.save(tmp_path / "gan.glassnet")
    gan.fit(_images(), epochs=2, initial_epoch=1, batch_size=16, verbose=0)
    gn.manual_seed(123)
    resumed = gn.load_model(tmp_path / "gan.glassnet", restore_rng=True)
    assert resumed.ema_decay == 0.9 and int(resumed.generator_ema.n_averaged) == 3
    resumed.fit(_images(), epochs=2, initial_epoch=1, batch_size=16, verbose=0)
    for a, b in zip(gan.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("hidden", [0, -3, 2.5, True, "1024"])
def test_dcgan_rejects_a_hidden_layer_that_is_not_a_positive_int(hidden):
    with pytest.raises(ValueError, match="discriminator_hidden must be a positive int or None"):
        models.DCGAN(latent_dim=3, width=2, discriminator_hidden=hidden)
