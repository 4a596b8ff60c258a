"""Why a deep sigmoid network stops learning: per-layer gradient norms, sigmoid vs ReLU + He
(CURRICULUM section 4: σ' ≤ 0.25, so 0.25 · 0.15 · 0.10 · 0.05 · 0.02 = 3.75e−6 reaches the first layer).

python examples/vanishing_gradients.py [--out DIR]

Prints the per-layer weight-gradient norms of a 10-layer sigmoid MLP (Xavier/Glorot weights) and of a
10-layer ReLU MLP (He weights) on the same batch, then trains both for a few epochs while a
``GradientNormRecorder`` watches. Writes vanishing_gradients.png (one backward pass) and
gradient_norms_sigmoid.png / gradient_norms_relu.png (during training) into DIR when matplotlib is there.
"""

import argparse
from pathlib import Path

import glassnet as gn
from glassnet import nn, optim
from glassnet.explain.plots import GradientNormRecorder, plot_gradient_norms
from glassnet.explain.vanishing import vanishing_gradient_demo

parser = argparse.ArgumentParser()
parser.add_argument("--out", default=".", help="folder for the PNG files")
arguments = parser.parse_args()
out = Path(arguments.out)

result = vanishing_gradient_demo(depth=10, width=32, seed=0)
print(result)
print(f"the sigmoid network's first layer gets {result.sigmoid_ratio:.1e} of its last layer's gradient;")
print(f"the ReLU + He network's gets {result.relu_ratio:.2f} of it.")

# The same picture during training: both networks, 5 epochs of Adam, norms per epoch.
x = gn.randn(512, 32, dtype="float64").numpy()
y = (x.sum(axis=1, keepdims=True) > 0).astype("float64")
recorders = {}
for activation, init in (("sigmoid", "xavier_normal"), ("relu", "he_normal")):
    layers = [nn.Dense(32, activation=activation, weight_init=init, dtype="float64") for _ in range(9)]
    model = nn.Sequential([*layers, nn.Dense(1, activation="sigmoid", dtype="float64")], input_shape=(32,))
    model.compile(optimizer=optim.Adam(lr=1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    recorders[activation] = recorder = GradientNormRecorder()
    history = model.fit(x, y, epochs=5, batch_size=64, verbose=0, callbacks=[recorder])
    first, last = recorder.layers[0], recorder.layers[-1]
    ratio = recorder.epoch_norms[first][-1] / recorder.epoch_norms[last][-1]
    print(
        f"{activation:>7} after 5 epochs: accuracy {history['accuracy'][-1]:.2f}, "
        f"first/last gradient norm {ratio:.1e}"
    )

try:
    import matplotlib  # noqa: F401 - only to know whether plots can be drawn
except ImportError:
    print('no plots: matplotlib is not installed (pip install "glassnet[plot]")')
else:
    print("wrote", result.plot(out / "vanishing_gradients.png"))
    for activation, recorder in recorders.items():
        path = out / f"gradient_norms_{activation}.png"
        print(
            "wrote",
            plot_gradient_norms(recorder, path, per="batch", title=f"{activation}: ‖∂L/∂W‖ per layer"),
        )
