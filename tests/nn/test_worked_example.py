"""The worked 2x2-image example of CURRICULUM section 2, through the public API, to 6 decimals."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim

W1 = [[1, 3, -2], [2, -3, 4], [3, -1, 1], [2, 3, -2]]
W2 = [[1, -2], [-3, 4], [-1, 1]]
W3 = [[4], [1]]


@pytest.fixture
def network(float64):
    model = nn.Sequential(
        [
            nn.Dense(3, activation="sigmoid"),
            nn.Dense(2, activation="sigmoid"),
            nn.Dense(1, activation="sigmoid"),
        ],
        input_shape=(4,),
    )
    model.load_state_dict(
        {
            "0.weight": np.array(W1, float),
            "0.bias": np.zeros(3),
            "1.weight": np.array(W2, float),
            "1.bias": np.zeros(2),
            "2.weight": np.array(W3, float),
            "2.bias": np.zeros(1),
        }
    )
    return model


def forward_values(model, x):
    values, out = [], x
    for layer in model:
        z = gn.ops.linear(out, layer.weight, layer.bias)
        out = layer(out)
        values.append((z.numpy().ravel(), out.numpy().ravel()))
    return values


def test_forward_pass_matches_the_notes(network):
    x = gn.tensor([[2.0, 3.0, 5.0, 6.0]])  # the image [[2, 3], [5, 6]] flattened
    (z1, a1), (z2, a2), (z3, y_hat) = forward_values(network, x)
    np.testing.assert_allclose(z1, [35, 10, 1], atol=5e-7)
    np.testing.assert_allclose(a1, [1.000000, 0.999955, 0.731059], atol=5e-7)
    np.testing.assert_allclose(z2, [-2.730922, 2.730877], atol=5e-7)
    np.testing.assert_allclose(a2, [0.061173, 0.938824], atol=5e-7)
    np.testing.assert_allclose(z3, [1.183517], atol=5e-7)
    np.testing.assert_allclose(y_hat, [0.765580], atol=5e-7)


def test_loss_gradients_and_update_match_the_notes(network):
    x = gn.tensor([[2.0, 3.0, 5.0, 6.0]])
    opt = optim.SGD(network.parameters(), lr=0.01)
    loss = nn.BinaryCrossEntropy()(network(x), np.array([[1.0]]))
    assert loss.item() == pytest.approx(0.267122, abs=5e-7)
    opt.zero_grad()
    loss.backward()
    np.testing.assert_allclose(network[2].weight.grad.ravel(), [-0.014340, -0.220080], atol=5e-7)
    np.testing.assert_allclose(
        network[1].weight.grad,
        [[-0.053852, -0.013464], [-0.053850, -0.013463], [-0.039369, -0.009843]],
        atol=5e-7,
    )
    grad_w1 = network[0].weight.grad
    np.testing.assert_allclose(grad_w1[:, 2], [0.015882, 0.023823, 0.039704, 0.047645], atol=5e-7)
    np.testing.assert_allclose(grad_w1[:, 0], 0, atol=1e-12)  # sigmoid saturated at z = 35
    opt.step()
    np.testing.assert_allclose(network[2].weight.data.ravel(), [4.000143, 1.002201], atol=5e-7)
