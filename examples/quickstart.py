"""glassnet's quick start: the notes' worked example checked, then XOR learned by a small MLP.

python examples/quickstart.py
"""

import numpy as np

import glassnet as gn
from glassnet import nn, optim


def worked_example() -> None:
    """CURRICULUM section 2: a 2x2 image through three sigmoid layers, BCE, one SGD step (lr 0.01)."""
    gn.set_default_dtype("float64")
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
            "0.weight": np.array([[1, 3, -2], [2, -3, 4], [3, -1, 1], [2, 3, -2]], float),
            "0.bias": np.zeros(3),
            "1.weight": np.array([[1, -2], [-3, 4], [-1, 1]], float),
            "1.bias": np.zeros(2),
            "2.weight": np.array([[4], [1]], float),
            "2.bias": np.zeros(1),
        }
    )
    opt = optim.SGD(model.parameters(), lr=0.01)
    y_hat = model(gn.tensor([[2.0, 3.0, 5.0, 6.0]]))
    loss = nn.BinaryCrossEntropy()(y_hat, np.array([[1.0]]))
    loss.backward()
    opt.step()
    print(
        f"worked example: y_hat = {y_hat.item():.6f}, BCE = {loss.item():.6f}, "
        f"W3 after one step = {np.round(model[2].weight.data.ravel(), 6)}"
    )
    gn.set_default_dtype("float32")


def xor() -> None:
    """XOR is not linearly separable: a hidden ReLU layer is needed (CURRICULUM section 1)."""
    gn.manual_seed(0)
    x = gn.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = gn.tensor([[0.0], [1.0], [1.0], [0.0]])
    model = nn.Sequential(
        [nn.Dense(8, activation="relu"), nn.Dense(1, activation="sigmoid")], input_shape=(2,)
    )
    model.summary()
    opt = optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.BinaryCrossEntropy()
    for epoch in range(301):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch % 100 == 0:
            print(f"epoch {epoch:3d}  loss {loss.item():.4f}")
    with gn.no_grad():
        predictions = model(x).numpy().ravel()
    print("XOR predictions:", np.round(predictions, 3), "->", (predictions > 0.5).astype(int))


if __name__ == "__main__":
    worked_example()
    xor()
