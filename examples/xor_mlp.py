"""XOR with a 2-4-1 MLP: what the perceptron cannot learn, one hidden layer can (CURRICULUM section 1).

python examples/xor_mlp.py
"""

import numpy as np

import glassnet as gn
from glassnet import data, nn, optim

gn.manual_seed(0)
x, y = data.logic_gate("xor")
model = nn.Sequential([nn.Dense(4, activation="tanh"), nn.Dense(1, activation="sigmoid")], input_shape=(2,))
model.compile(optimizer=optim.Adam(lr=0.05), loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=300, batch_size="full", verbose=0)  # "full": gradient descent
loss, accuracy = history["loss"][-1], history["accuracy"][-1]
print(f"after {history.iterations} updates: loss {loss:.4f}, accuracy {accuracy:.2f}")
for inputs, target, output in zip(x, y.ravel(), model.predict(x).ravel()):
    case = tuple(int(v) for v in inputs)
    print(f"  XOR{case} = {int(target)}   predicted {output:.3f} -> {int(output > 0.5)}")

# The notes' hand-made ReLU network: h1 = ReLU(x1 + x2), h2 = ReLU(x1 + x2 - 1), y = h1 - 2 h2.
by_hand = nn.Sequential([nn.Dense(2, activation="relu"), nn.Dense(1)], input_shape=(2,))
by_hand.load_state_dict(
    {
        "0.weight": np.array([[1.0, 1.0], [1.0, 1.0]]),
        "0.bias": np.array([0.0, -1.0]),
        "1.weight": np.array([[1.0], [-2.0]]),
        "1.bias": np.array([0.0]),
    }
)
print("the notes' ReLU network gives", by_hand.predict(x).ravel().tolist())
