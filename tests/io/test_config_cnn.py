"""Run files for convolutional networks: a ready architecture by name, conv layers by type, image data."""

from pathlib import Path

import numpy as np
import pytest

from glassnet import models, nn
from glassnet.io.config import ConfigError, parse_config

MNIST = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"

ARCHITECTURE_RUN = """
name = "mnist-lenet"
[data]
source = "mnist"
path = "{path}"
[model]
architecture = "LeNet5"
num_classes = 10
activation = "tanh"
[compile]
loss = {{ type = "SparseCategoricalCrossEntropy", from_logits = true }}
"""

LAYERS_RUN = """
[data]
source = "mnist"
[model]
layers = [
    { type = "Conv2D", filters = 4, kernel_size = 3, padding = "same", activation = "relu" },
    { type = "MaxPool2D", pool_size = 2 },
    { type = "Flatten" },
    { type = "Dense", units = 10 },
]
[compile]
loss = "sparse_categorical_crossentropy"
"""


def test_architecture_by_name_builds_for_the_data_shape():
    config = parse_config(ARCHITECTURE_RUN.format(path="unused"), "run.toml")
    assert config.convolutional
    model = config.build_model((1, 28, 28))
    assert [(row[2], row[3]) for row in model.summary_rows()][0] == ((None, 6, 28, 28), 156)
    assert model.count_params() == models.LeNet5(input_shape=(1, 28, 28)).count_params() == 61706
    assert model[0].activation_name == "tanh"


def test_conv_layers_by_type():
    config = parse_config(LAYERS_RUN, "run.toml")
    assert config.convolutional
    model = config.build_model((1, 28, 28))
    assert isinstance(model[0], nn.Conv2D) and model.compute_output_shape((None, 1, 28, 28)) == (None, 10)
    assert model.count_params() == 40 + 4 * 14 * 14 * 10 + 10


def test_image_data_keeps_its_channel_axis_for_convolutional_models():
    if not MNIST.exists():
        pytest.skip(f"MNIST is not at {MNIST} (it is in CI's shared data)")
    config = parse_config(ARCHITECTURE_RUN.format(path=MNIST), "run.toml")
    (x_train, y_train), (x_test, _) = config.load_data()
    assert x_train.shape == (60000, 1, 28, 28) and x_test.shape == (10000, 1, 28, 28)
    assert x_train.dtype == np.float32 and x_train.max() == 1.0 and y_train.shape == (60000,)


@pytest.mark.parametrize(
    "model_section, message",
    [
        (
            'architecture = "LeNet6"',
            "'LeNet6'; valid: AlexNet, CharRNN, DCGAN, GAT, GCN, GraphSAGE, LeNet5, MLPGAN, ResNet18, "
            "ResNet34, TransformerLM, VGG16, ViT",
        ),
        ('architecture = "LeNet5"\nunits = 3', "architecture LeNet5: .*unexpected keyword argument 'units'"),
        ('architecture = "LeNet5"\nlayers = []', "both layers and architecture"),
    ],
)
def test_bad_architectures_give_clear_errors(model_section, message):
    text = f'[data]\nsource = "mnist"\n[model]\n{model_section}\n[compile]\nloss = "mse"\n'
    with pytest.raises(ConfigError, match=message):
        parse_config(text, "run.toml").build_model((1, 28, 28))
