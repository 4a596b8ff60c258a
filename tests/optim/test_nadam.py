"""Nadam against torch.optim.NAdam (25 steps, float64, 1e-10) and a transcription of Keras 3's rule; the
Keras spelling RMSprop; both reachable by name."""

import numpy as np
import pytest

from glassnet import optim
from glassnet.nn import Parameter


def _run(make, w0, grads):
    w = Parameter(w0.copy())
    opt = make([w])
    for g in grads:
        w.grad = g.copy()
        opt.step()
    return w.data


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [({}, {}), ({"lr": 0.05, "weight_decay": 0.01}, {"lr": 0.05, "weight_decay": 0.01}),
     ({"betas": (0.8, 0.99), "eps": 1e-6, "momentum_decay": 0.01},
      {"betas": (0.8, 0.99), "eps": 1e-6, "momentum_decay": 0.01})],
)  # fmt: skip
def test_nadam_matches_torch_over_25_steps(ours, theirs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w0, grads = rng.normal(size=(3, 4)), [rng.normal(size=(3, 4)) for _ in range(25)]
    mine = _run(lambda p: optim.Nadam(p, convention="pytorch", **ours), w0, grads)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # NAdam keeps its μ product in the default dtype
    try:
        w = torch.tensor(w0.copy(), requires_grad=True)
        opt = torch.optim.NAdam([w], **theirs)
        for g in grads:
            w.grad = torch.tensor(g.copy())
            opt.step()
    finally:
        torch.set_default_dtype(previous)
    np.testing.assert_allclose(mine, w.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_nadam_keras_convention_is_keras_3s_rule_written_out():
    rng = np.random.default_rng(1)
    w0, grads = rng.normal(size=5), [rng.normal(size=5) for _ in range(10)]
    mine = _run(lambda p: optim.Nadam(p, convention="keras"), w0, grads)
    # Keras 3's Nadam.update_step, transcribed: lr 1e-3, ε 1e-7, u_t = β₁(1 − ½ 0.96^(0.004 t))
    lr, beta_1, beta_2, eps = 1e-3, 0.9, 0.999, 1e-7
    w, m, v, u_product = w0.copy(), np.zeros(5), np.zeros(5), 1.0
    for t, g in enumerate(grads, 1):
        u_t = beta_1 * (1.0 - 0.5 * 0.96 ** (t * 0.004))
        u_t_1 = beta_1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * 0.004))
        u_product_t = u_product * u_t
        u_product_t_1 = u_product_t * u_t_1
        m = m + (g - m) * (1 - beta_1)
        v = v + (g * g - v) * (1 - beta_2)
        m_hat = u_t_1 * m / (1 - u_product_t_1) + (1 - u_t) * g / (1 - u_product_t)
        v_hat = v / (1 - beta_2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        u_product = u_product_t
    np.testing.assert_allclose(mine, w, rtol=1e-12, atol=1e-15)


def test_nadam_resumes_from_its_state_dict_step_for_step():
    rng = np.random.default_rng(2)
    w0, grads = rng.normal(size=4), [rng.normal(size=4) for _ in range(12)]
    whole = _run(lambda p: optim.Nadam(p, lr=0.01), w0, grads)
    w = Parameter(w0.copy())
    first = optim.Nadam([w], lr=0.01)
    for g in grads[:7]:
        w.grad = g.copy()
        first.step()
    second = optim.Nadam([w], lr=0.01)
    second.load_state_dict(first.state_dict())
    for g in grads[7:]:
        w.grad = g.copy()
        second.step()
    np.testing.assert_array_equal(w.data, whole)


def test_keras_spellings_and_names():
    assert optim.RMSprop is optim.RMSProp
    assert type(optim.get("nadam")) is optim.Nadam and type(optim.get("RMSprop")) is optim.RMSProp
    keras, pytorch = optim.Nadam(convention="keras").defaults, optim.Nadam(convention="pytorch").defaults
    assert (keras["lr"], keras["eps"], pytorch["lr"], pytorch["eps"]) == (1e-3, 1e-7, 2e-3, 1e-8)


@pytest.mark.parametrize(
    "options", [{}, {"lr": 0.05, "weight_decay": 0.1}, {"lr": 0.01, "amsgrad": True, "betas": (0.8, 0.99)}]
)
def test_adamw_matches_torch_over_25_steps(options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    w0, grads = rng.normal(size=(3, 4)), [rng.normal(size=(3, 4)) for _ in range(25)]
    mine = _run(lambda p: optim.AdamW(p, convention="pytorch", **options), w0, grads)
    w = torch.tensor(w0.copy(), requires_grad=True)
    opt = torch.optim.AdamW([w], **options)
    for g in grads:
        w.grad = torch.tensor(g.copy())
        opt.step()
    np.testing.assert_allclose(mine, w.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_adamw_decays_the_weight_itself_where_adam_adds_to_the_gradient():
    rng = np.random.default_rng(4)
    w0, grads = rng.normal(size=5), [rng.normal(size=5) for _ in range(5)]
    decoupled = _run(lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.5, eps=0.0), w0, grads)
    coupled = _run(lambda p: optim.Adam(p, lr=0.1, weight_decay=0.5, eps=0.0), w0, grads)
    keras = _run(lambda p: optim.Adam(p, lr=0.1, weight_decay=0.5, eps=0.0, convention="keras"), w0, grads)
    assert not np.allclose(decoupled, coupled)
    # Keras's Adam decouples its decay too; with ε = 0, where ε sits no longer matters
    np.testing.assert_allclose(decoupled, keras, rtol=1e-12)
    assert optim.AdamW(convention="keras").defaults["weight_decay"] == 0.004
    assert type(optim.get("adamw")) is optim.AdamW
