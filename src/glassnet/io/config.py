"""Training runs described in TOML: data, layers, compile settings and fit settings in one small file.

Example (the embedded default of ``glassnet train``, an MLP on scikit-learn's bundled digits)::

    name = "digits-mlp"
    seed = 0

    [data]
    source = "sklearn"          # sklearn, mnist, fashion_mnist, csv, gate, moons, circles, spirals, blobs
    name = "digits"             # for sklearn: digits, iris, breast_cancer, wine, diabetes
    test_size = 0.2             # held out for the final test (stratified for classification)
    scale = "standard"          # standard, minmax or none; fitted on the training part only

    [model]
    layers = [
        { type = "Dense", units = 64, activation = "relu" },
        { type = "Dense", units = 10 },
    ]

    [compile]
    optimizer = { type = "Adam", lr = 0.002 }   # or a name: "adam"
    loss = { type = "SparseCategoricalCrossEntropy", from_logits = true }
    metrics = ["accuracy"]

    [fit]
    epochs = 20
    batch_size = 32
    validation_split = 0.1

A learning-rate schedule (``glassnet.optim.schedules``) goes in ``[compile.schedule]``: its type and its
arguments; the optimizer steps it with every update, so its steps count batches (iterations), and its base
rate is the optimizer's ``lr``::

    [compile.schedule]
    type = "WarmupCosine"       # nanoGPT's: 100 warm-up iterations, cosine to min_lr at iteration 2000
    warmup_steps = 100
    decay_steps = 2000
    min_lr = 1e-4

(``SequentialLR`` takes ``schedulers = [{ type = "LinearLR", ... }, ...]`` and ``milestones``.)

Instead of ``layers``, ``[model]`` may name a ready architecture from ``glassnet.models`` with its keyword
arguments (the input shape comes from the data)::

    [model]
    architecture = "LeNet5"     # LeNet5, AlexNet, VGG16, ResNet18, ResNet34, ViT
    num_classes = 10
    activation = "relu"

Other sources: ``mnist`` / ``fashion_mnist`` (``path`` optional; pixels divided by 255 unless
``normalize = false``; images flattened to 784 values unless ``flatten = false``, which is the default when
the model is convolutional (an ``architecture``, or a first layer Conv2D or a pooling layer) and gives
(N, 1, 28, 28); the test set is the dataset's own), ``csv`` (``path``, ``target``, ``categorical``),
``gate`` (``name`` = and, or, nand, nor, xor; no test split), ``moons``/``circles``/``spirals``/``blobs``
(``n_samples``, ``noise``). These 2-D sources take ``features`` (default the two coordinates): the inputs
computed from the points, as TensorFlow Playground and ``glassnet playground`` offer them::

    features = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin_x1", "sin_x2"]

GANs. ``architecture = "DCGAN"`` (28x28 images) or ``"MLPGAN"`` (any shape) trains a ``models.GAN`` on the
images alone (``[fit]`` without ``validation_split``); ``[compile]`` names the two optimizers and the GAN
loss, and ``[data] input_range`` states the range of the loaded values, mapped onto the generator's [-1, 1]
(by default (0, 1) for normalized MNIST pixels, (0, 255) without ``normalize``, (0, 1) after ``scale =
"minmax"``); ``limit`` keeps the first N images of an MNIST source::

    [data]
    source = "mnist"
    limit = 60000

    [model]
    architecture = "DCGAN"      # or "MLPGAN"
    latent_dim = 100
    width = 64

    [compile]
    generator_optimizer = { type = "Adam", lr = 0.0002, beta_1 = 0.5, convention = "pytorch" }
    discriminator_optimizer = { type = "Adam", lr = 0.0002, beta_1 = 0.5, convention = "pytorch" }
    loss = "non_saturating"     # or "minimax", "least_squares"
    label_smoothing = 0.0       # one-sided: the real images' target is 1 - label_smoothing
    discriminator_steps = 1

``glassnet train`` then saves the GAN (both networks and both optimizers) and a grid of samples.

Sequences. ``text`` trains a language model on any UTF-8 file: windows of ``seq_len`` ids and, as targets,
the same windows shifted by one; the last ``test_size`` of the text tests (never shuffled into training),
and the tokenizer is fitted on the training part only. A layer argument written ``"vocab_size"`` is the
tokenizer's number of ids, and ``architecture = "CharRNN"`` (or ``"TransformerLM"``, whose ``context``
must be at least ``seq_len``) takes it by itself::

    [data]
    source = "text"
    path = "input.txt"          # any UTF-8 text file, or name = "tinyshakespeare" (downloaded and cached)
    tokenizer = "char"          # or "word" (max_words = 10000 keeps the most frequent words)
    seq_len = 100               # stride = 100 by default: windows that do not overlap
    test_size = 0.1             # the last 10 % of the text

    [model]
    layers = [
        { type = "Embedding", vocab_size = "vocab_size", dim = 64 },
        { type = "LSTM", units = 256, return_sequences = true },
        { type = "Dense", units = "vocab_size" },
    ]

``glassnet train`` then saves the tokenizer beside the model and prints a sample of generated text.
``series`` forecasts a series: windows of ``lookback`` steps predict the value ``horizon`` steps after them;
the last ``test_size`` of the steps tests, and the scaler (``scale``, standard by default) is fitted on
the training steps only. The values come from a CSV file (``path``, ``column``) or from a data set that a
package ships (``name = "sunspots"``: statsmodels' yearly sunspot numbers, ``pip install
glassnet[timeseries]``)::

    [data]
    source = "series"
    name = "sunspots"           # or path = "series.csv" and column = "value"
    lookback = 12
    horizon = 1
    test_size = 0.2

``glassnet train`` then reports the test MAE in the series' own units beside the naive forecast's (the
last value of each window).

Graphs. A graph source gives one ``Graph`` with train, validation and test masks: node classification,
trained full-batch as the papers do (the loss on the training nodes, ``val_`` logs on the validation ones,
the test accuracy on the test ones). ``planetoid`` reads Cora or Citeseer (``name``; ``path`` a folder of
the ``ind.NAME.*`` files, else ``$GLASSNET_DATA`` and the cache, downloaded and checksummed on first
use; ``normalize_features``, true by default, divides each node's features by their sum);
``karate_club`` (``labelled``: the members whose faction is known; needs networkx);
``stochastic_block_model`` (``sizes``, ``p_in``, ``p_out``, ``features``, ``noise``,
``train_per_class``, ``validation``: communities to recover). The model is a ready graph network,
``GCN``, ``GAT`` or ``GraphSAGE`` (``glassnet.models``), sized from the graph (``num_classes`` and the
features); ``[fit] early_stopping`` stops on the validation loss and keeps the best epoch's weights::

    [data]
    source = "planetoid"
    name = "cora"

    [model]
    architecture = "GCN"        # 16 hidden units, dropout 0.5, L2 5e-4 on the first layer

    [fit]
    epochs = 200
    early_stopping = { monitor = "val_loss", patience = 10, restore_best_weights = true }

Searches. ``glassnet tune`` reads a ``[search]`` section: which values of the run's own keys to try
(``glassnet.tune``). A key of ``[search.space]`` is a dotted path into the run (``compile.optimizer.lr``,
``fit.batch_size``, ``model.layers.0.units``) or one of the hidden-layer keys, which act on every layer
but the last: ``hidden_layers`` (how many copies of the first layer), ``hidden_units``,
``hidden_activation``, ``hidden_units_K`` (layer K only). A value is a list of values to try, a table
naming a domain (``choice``, ``grid``, ``uniform``, ``loguniform``, ``randint``) with an optional
``when = { hidden_layers = K }`` (exists only when the layer count is at least K), or one value::

    [search]
    algorithm = "random"        # or "grid" (every combination of the lists)
    n_trials = 12
    seed = 0
    objective = "val_accuracy"  # an epoch log; "val_loss" is minimised
    executor = "auto"           # serial, processes, ray
    scheduler = { type = "ASHA", grace_period = 2, reduction_factor = 3 }

    [search.space]
    hidden_layers = [1, 2, 3]
    hidden_activation = ["relu", "tanh", "sigmoid"]
    "compile.optimizer.type" = ["SGD", "Adam"]
    "compile.optimizer.lr" = { loguniform = [1e-4, 0.1] }
    hidden_units_2 = { choice = [32, 64], when = { hidden_layers = 2 } }
"""

from __future__ import annotations

import copy
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glassnet import data as datasets
from glassnet import models, nn, optim
from glassnet.backend import manual_seed
from glassnet.data.graph import Graph
from glassnet.data.schema import Field, FileFormatError, Schema, TextFileError, read_text_file
from glassnet.nn.gan_losses import GAN_LOSSES
from glassnet.nn.serialization import known_classes
from glassnet.train import metrics as metrics_module
from glassnet.train.callbacks import EarlyStopping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "RunConfig",
    "load_config",
    "parse_config",
    "read_toml",
    "DEFAULT_CONFIG",
    "RunFileError",
    "ConfigError",
    "RUN_SCHEMA",
]

DEFAULT_CONFIG = """
name = "digits-mlp"
seed = 0

[data]
source = "sklearn"
name = "digits"
test_size = 0.2
scale = "standard"

[model]
layers = [
    { type = "Dense", units = 64, activation = "relu" },
    { type = "Dense", units = 10 },
]

[compile]
optimizer = { type = "Adam", lr = 0.002 }
loss = { type = "SparseCategoricalCrossEntropy", from_logits = true }
metrics = ["accuracy"]

[fit]
epochs = 20
batch_size = 32
validation_split = 0.1
"""

_IMAGE_LAYERS = {"Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D"}
# The ready architectures a run file may name: glassnet.models' builders of networks.
ARCHITECTURES = {
    "LeNet5": models.LeNet5,
    "AlexNet": models.AlexNet,
    "VGG16": models.VGG16,
    "ResNet18": models.ResNet18,
    "ResNet34": models.ResNet34,
    "ViT": models.ViT,
}
# Ready GANs: built from the data's image shape, trained on the images alone.
GAN_ARCHITECTURES = {"DCGAN": models.DCGAN, "MLPGAN": models.MLPGAN}
# Ready sequence models: built from the data's vocabulary (``vocab_size``) instead of an input shape.
SEQUENCE_ARCHITECTURES = {"CharRNN": models.CharRNN, "TransformerLM": models.TransformerLM}
# Ready graph networks: built from the graph's number of classes and features.
GRAPH_ARCHITECTURES = {"GCN": models.GCN, "GAT": models.GAT, "GraphSAGE": models.GraphSAGE}
VOCAB_SIZE = "vocab_size"  # a layer argument with this value is the text source's number of ids
_RUN_FILE_LIMIT = 1 << 20  # bytes: a run file is a screenful of TOML
# A name becomes file names in the output folder: a plain name, no folders, not hidden.
_PLAIN_NAME = r"[^./\\\x00-\x1f][^/\\\x00-\x1f]*"


class RunFileError(FileFormatError):
    """A run description that cannot be used; the message names the file and the key, what was expected
    and what was found."""


ConfigError = RunFileError  # the name it had first


@contextmanager
def _blame(source: str, where: str):
    """What goes wrong while glassnet uses a value of the run file, as a ``RunFileError`` naming the file
    and the key (a data file's own error, which names that file, passes as it is)."""
    try:
        yield
    except FileFormatError:
        raise
    except (TypeError, ValueError, KeyError) as error:
        message = error.args[0] if error.args else type(error).__name__
        raise RunFileError(f"{source}: {where}: {message}") from None
    except MemoryError as error:
        raise RunFileError(f"{source}: {where}: needs more memory than this machine has ({error})") from None


# [0, 1]: the sources say why exactly 1 is refused
_FRACTION = Field((float,), minimum=0, maximum=1, label="a number in [0, 1)")
# a layer's other keys are its class's arguments, checked by the class
_LAYER = Field((dict,), table=Schema({"type": Field((str,), required=True)}, open=True))
_OPTIMIZER_OR_LOSS = Field((str, dict), label="a name or a table with a type")
# a learning-rate schedule: its other keys are the class's arguments, checked by the class
_SCHEDULE = Field((dict,), table=Schema({"type": Field((str,), required=True)}, open=True))
SEARCH_DOMAINS = ("choice", "grid", "uniform", "loguniform", "randint")
HIDDEN_KEYS = ("hidden_layers", "hidden_units", "hidden_activation")
_SEARCH = Schema(
    {
        "algorithm": Field((str,), choices=("grid", "random")),
        "n_trials": Field((int,), minimum=1, maximum=100_000),
        "seed": Field((int,), minimum=0, maximum=2**63 - 1),
        "objective": Field((str,), minimum=1),
        "mode": Field((str,), choices=("max", "min")),
        "executor": Field((str,), choices=("auto", "serial", "processes", "ray")),
        "workers": Field((int,), minimum=1),
        "ray_address": Field((str,)),
        "scheduler": Field(
            (dict,),
            table=Schema(
                {
                    "type": Field((str,), required=True, choices=("ASHA",)),
                    "grace_period": Field((int,), minimum=1),
                    "reduction_factor": Field((float,), minimum=1.0001),
                    "max_epochs": Field((int,), minimum=1),
                }
            ),
        ),
        "space": Field((dict,), required=True, minimum=1, label="a table of key = values to try"),
    }
)
#: What a run file may hold: the sections and the keys glassnet reads in them (``[data]`` and ``[model]``
#: also take the keyword arguments of a source or an architecture, checked where they are used).
RUN_SCHEMA = Schema(
    {
        "name": Field(
            (str,), minimum=1, maximum=100, pattern=_PLAIN_NAME, label="a plain file name (no folders)"
        ),
        "seed": Field((int,), minimum=0, maximum=2**63 - 1),
        "data": Field(
            (dict,),
            required=True,
            table=Schema(
                {
                    "source": Field((str,), required=True),
                    "test_size": _FRACTION,
                    "scale": Field((str,), choices=("standard", "minmax", "none")),
                },
                open=True,
            ),
        ),
        "model": Field(
            (dict,),
            required=True,
            table=Schema({"layers": Field((list,), items=_LAYER), "architecture": Field((str,))}, open=True),
        ),
        "compile": Field(
            (dict,),
            required=True,
            table=Schema(
                {
                    "optimizer": _OPTIMIZER_OR_LOSS,
                    "loss": _OPTIMIZER_OR_LOSS,
                    "metrics": Field((list,), items=Field((str,))),
                    # a GAN's
                    "generator_optimizer": _OPTIMIZER_OR_LOSS,
                    "discriminator_optimizer": _OPTIMIZER_OR_LOSS,
                    "label_smoothing": _FRACTION,
                    "discriminator_steps": Field((int,), minimum=1, maximum=1000),
                    "schedule": _SCHEDULE,
                }
            ),
        ),
        "fit": Field(
            (dict,),
            table=Schema(
                {
                    "epochs": Field((int,), minimum=1, maximum=1_000_000),
                    "batch_size": Field((int,), minimum=1),
                    "validation_split": _FRACTION,
                    "shuffle": Field((bool,)),
                    "verbose": Field((int,), choices=(0, 1, 2)),
                    "early_stopping": Field(
                        (dict,),
                        table=Schema(
                            {
                                "monitor": Field((str,), minimum=1),
                                "patience": Field((int,), minimum=0),
                                "min_delta": Field((float,), minimum=0),
                                "mode": Field((str,), choices=("auto", "min", "max")),
                                "restore_best_weights": Field((bool,)),
                            }
                        ),
                    ),
                }
            ),
        ),
        "search": Field((dict,), table=_SEARCH),  # for ``glassnet tune``
    }
)


@dataclass
class RunConfig:
    """A parsed run: everything ``glassnet train`` needs."""

    name: str
    seed: int
    data: dict
    layers: list
    compile: dict
    fit: dict = field(default_factory=dict)
    source: str = "<embedded default>"
    architecture: dict | None = None  # {"architecture": "LeNet5", **keyword arguments} instead of layers
    # What loading the data learned, set by ``load_data``: the tokenizer of a text source, the scaler and
    # the windows of a series
    prepared: dict = field(default_factory=dict)
    search: dict | None = None  # the [search] section, for ``glassnet tune``

    def with_hyperparameters(self, hyperparameters: dict) -> RunConfig:
        """A copy of this run with a trial's values put in place (the keys of ``[search.space]``)."""
        trial = copy.deepcopy(self)
        for key, value in sorted(hyperparameters.items(), key=lambda item: item[0] != "hidden_layers"):
            with _blame(self.source, f"search.space.{key}"):
                trial._set(key, value)
        return trial

    def _set(self, key: str, value) -> None:
        name, _, position = key.removeprefix("hidden_").partition("_")  # units_2: units of layer 2
        if key in HIDDEN_KEYS or (name == "units" and position.isdigit()):
            if self.architecture is not None or len(self.layers) < 2:
                raise ValueError("hidden-layer keys need [model] layers: hidden ones and an output layer")
            if key == "hidden_layers":
                self.layers = [copy.deepcopy(self.layers[0]) for _ in range(value)] + self.layers[-1:]
                return
            hidden = self.layers[:-1]
            for layer in hidden[int(position) - 1 : int(position)] if position else hidden:
                layer[name] = value
            return
        section, _, path = key.partition(".")
        model = self.architecture or {"layers": self.layers}
        tables = {"model": model, "compile": self.compile, "fit": self.fit}
        if section not in tables or not path:
            raise ValueError(
                "expected a dotted path into [model], [compile] or [fit] (compile.optimizer.lr) or one of "
                f"{', '.join(HIDDEN_KEYS)}, hidden_units_K; found {key!r}"
            )
        *parents, last = path.split(".")
        where = tables[section]
        for part in parents:
            where = where[int(part)] if isinstance(where, list) else where[part]
            if isinstance(where, str):  # optimizer = "adam": the search's keys need its table
                raise ValueError(f"{section}.{part} is {where!r}; write it as a table {{ type = ... }}")
        if isinstance(where, list):
            where[int(last)] = value
        else:
            where[last] = value

    @property
    def gan(self) -> bool:
        """A GAN run: ``[model] architecture`` is one of ``GAN_ARCHITECTURES``."""
        return self.architecture is not None and self.architecture.get("architecture") in GAN_ARCHITECTURES

    def gan_input_range(self):
        """The range of the loaded values that a GAN maps onto its generator's outputs: ``[data]
        input_range``, or what the source and scaling make: (0, 1) for normalized MNIST pixels or after
        minmax scaling, (0, 255) for raw pixels; None when unknown (``fit`` then checks the values)."""
        stated = self.data.get("input_range")
        if stated is not None:
            if not (isinstance(stated, list) and len(stated) == 2 and stated[0] < stated[1]):
                raise RunFileError(f"{self.source}: [data] input_range must be [low, high], got {stated!r}")
            return (float(stated[0]), float(stated[1]))
        if self.data.get("source") in ("mnist", "fashion_mnist"):
            return (0.0, 1.0) if self.data.get("normalize", True) else (0.0, 255.0)
        return (0.0, 1.0) if self.data.get("scale") == "minmax" else None

    @property
    def convolutional(self) -> bool:
        """A ready architecture, or layers that start with a convolution or pooling: images stay (C, H, W)."""
        first = self.layers[0].get("type") if self.layers else None
        return self.architecture is not None or first in _IMAGE_LAYERS

    @property
    def graph(self) -> Graph | None:
        """The graph of a graph source, once ``load_data`` has read it."""
        return self.prepared.get("graph")

    def fit_arguments(self) -> dict:
        """The keyword arguments of ``model.fit`` from ``[fit]`` (10 epochs and batches of 32 by default;
        ``early_stopping`` as an ``EarlyStopping`` callback)."""
        arguments = {"epochs": 10, "batch_size": 32, **self.fit}
        stopping = arguments.pop("early_stopping", None)
        if stopping is not None:
            with _blame(self.source, "fit.early_stopping"):
                arguments["callbacks"] = [EarlyStopping(**stopping)]
        return arguments

    def build_model(self, input_shape) -> nn.Module:
        """The model of ``[model]`` (its ``layers`` as a Sequential, or its ``architecture`` from
        ``glassnet.models``), built for ``input_shape`` (without the batch axis; a graph network is
        sized from the graph ``load_data`` read)."""
        kind = (self.architecture or {}).get("architecture")
        if self.graph is not None and kind not in GRAPH_ARCHITECTURES:
            raise RunFileError(
                f"{self.source}: [model]: a graph source ({self.data.get('source')}) needs a graph network: "
                f'architecture = "GCN", "GAT" or "GraphSAGE", found '
                + (f"architecture {kind!r}" if kind else "layers")
            )
        with _blame(self.source, "model"):
            if self.architecture is not None:
                return self._build_architecture(input_shape)
            layers = [self._layer(dict(spec), f"layer {n}") for n, spec in enumerate(self.layers, 1)]
            return nn.Sequential(layers, input_shape=input_shape, name=self.name.replace("-", "_"))

    def _layer(self, spec: dict, where: str) -> nn.Module:
        """One layer from its table; a value that is itself a table with a type (the ``layer`` of
        Bidirectional or TimeDistributed) is built the same way."""
        classes = known_classes()
        kind = spec.pop("type", None)
        if not isinstance(kind, str) or kind not in classes or not issubclass(classes[kind], nn.Module):
            layer_names = sorted(k for k, c in classes.items() if issubclass(c, nn.Module))
            raise RunFileError(
                f"{self.source}: {where} has type {kind!r}; valid types: {', '.join(layer_names)}"
            )
        for key, value in spec.items():
            if isinstance(value, dict) and _regularizer_class(value.get("type")) is not None:
                options = dict(value)
                with _blame(self.source, f"{where} ({kind}.{key})"):
                    spec[key] = _regularizer_class(options.pop("type"))(**options)
            elif isinstance(value, dict) and "type" in value:
                spec[key] = self._layer(dict(value), f"{where} ({kind}.{key})")
            elif value == VOCAB_SIZE:
                spec[key] = self._vocab_size(f"{where} ({kind}.{key})")
        try:
            return classes[kind](**spec)
        except (TypeError, ValueError) as error:
            raise RunFileError(f"{self.source}: {where} ({kind}): {error}") from None

    def _vocab_size(self, where: str) -> int:
        tokenizer = self.prepared.get("tokenizer")
        if tokenizer is None:
            raise RunFileError(
                f'{self.source}: {where} is "{VOCAB_SIZE}", which only a text source defines '
                '([data] source = "text"); give a number'
            )
        return tokenizer.vocab_size

    def _build_architecture(self, input_shape) -> nn.Module:
        options = dict(self.architecture)
        kind = options.pop("architecture")
        if kind in GAN_ARCHITECTURES:
            try:
                return GAN_ARCHITECTURES[kind](image_shape=tuple(input_shape), **options)
            except (TypeError, ValueError) as error:
                raise RunFileError(f"{self.source}: [model] architecture {kind}: {error}") from None
        known = {*ARCHITECTURES, *SEQUENCE_ARCHITECTURES, *GRAPH_ARCHITECTURES, *GAN_ARCHITECTURES}
        if kind not in known:
            valid = ", ".join(sorted(known))
            raise RunFileError(f"{self.source}: [model] architecture {kind!r}; valid: {valid}")
        try:
            if kind in GRAPH_ARCHITECTURES:
                return self._graph_network(kind, options)
            if kind in SEQUENCE_ARCHITECTURES:
                vocab_size = options.pop("vocab_size", VOCAB_SIZE)
                if vocab_size == VOCAB_SIZE:
                    vocab_size = self._vocab_size(f"[model] architecture {kind}")
                return SEQUENCE_ARCHITECTURES[kind](vocab_size=vocab_size, **options)
            return ARCHITECTURES[kind](input_shape=tuple(input_shape), **options)
        except (TypeError, ValueError) as error:
            raise RunFileError(f"{self.source}: [model] architecture {kind}: {error}") from None

    def _graph_network(self, kind: str, options: dict) -> nn.Module:
        graph = self.graph
        if graph is None:
            raise RunFileError(
                f"{self.source}: [model] architecture {kind} is a graph network: it needs a graph source "
                '([data] source = "planetoid", "karate_club" or "stochastic_block_model")'
            )
        options.setdefault("num_classes", int(graph.y.max()) + 1)
        options.setdefault("num_features", graph.num_features)
        return GRAPH_ARCHITECTURES[kind](**options)

    def compile_arguments(self) -> dict:
        """The keyword arguments of ``model.compile``."""
        settings = dict(self.compile)
        if self.gan:
            return self._gan_compile_arguments(settings)
        with _blame(self.source, "compile.optimizer"):
            optimizer = _optimizer(settings.get("optimizer", "adam"), self.source)
        if "schedule" in settings:
            with _blame(self.source, "compile.schedule"):
                optimizer.attach_schedule(_schedule(settings["schedule"], self.source))
        with _blame(self.source, "compile.loss"):
            loss = _loss(settings.get("loss"), self.source)
        metrics = list(settings.get("metrics", []))
        for index, metric in enumerate(metrics):
            with _blame(self.source, f"compile.metrics[{index}]"):
                metrics_module.get(metric, loss=loss)  # an unknown name: refused here, naming the key
        return {"optimizer": optimizer, "loss": loss, "metrics": metrics}

    def _gan_compile_arguments(self, settings: dict) -> dict:
        """``models.GAN.compile``'s keyword arguments: the two optimizers, the GAN loss and its options."""
        for key in ("optimizer", "metrics"):
            if key in settings:
                raise RunFileError(
                    f"{self.source}: [compile] {key}: a GAN takes generator_optimizer and "
                    "discriminator_optimizer (and no metrics); found " + key
                )
        if "validation_split" in self.fit:
            raise RunFileError(f"{self.source}: [fit] validation_split: a GAN trains on its images alone")
        loss = settings.get("loss", "non_saturating")
        if loss not in GAN_LOSSES:
            raise RunFileError(
                f"{self.source}: [compile] loss of a GAN must be one of {GAN_LOSSES}, got {loss!r}"
            )
        arguments = {"loss": loss}
        for network in ("generator", "discriminator"):
            with _blame(self.source, f"compile.{network}_optimizer"):
                arguments[f"{network}_optimizer"] = _optimizer(
                    settings.get(f"{network}_optimizer", "adam"), self.source
                )
        for key in ("label_smoothing", "discriminator_steps"):
            if key in settings:
                arguments[key] = settings[key]
        return arguments

    def load_data(self):
        """((x_train, y_train), (x_test, y_test) or None), scaled as configured (fitted on training data)."""
        with _blame(self.source, "data"):
            return self._load_data()

    def _load_data(self):
        manual_seed(self.seed)
        spec = dict(self.data)
        kind = spec.get("source")
        if kind in _SEQUENCE_SOURCES:
            spec.pop("source")
            (x_train, y_train), test, self.prepared = _SEQUENCE_SOURCES[kind](spec, self.source)
            return (x_train, y_train), test
        if kind in GRAPH_SOURCES:
            spec.pop("source")
            graph = GRAPH_SOURCES[kind](spec, self.source)
            self.prepared = {"graph": graph}
            return (graph, None), (graph, None) if graph.test_mask is not None else None
        spec.setdefault("flatten", not self.convolutional)
        spec.pop("input_range", None)  # a GAN's, read by ``gan_input_range``
        (x_train, y_train), test = _load(spec, self.source)
        scale = self.data.get("scale", "none")
        if scale != "none":
            scalers = {"standard": datasets.StandardScaler, "minmax": datasets.MinMaxScaler}
            if scale not in scalers:
                raise RunFileError(
                    f"{self.source}: [data] scale must be standard, minmax or none, got {scale!r}"
                )
            scaler = scalers[scale]()
            shape = x_train.shape
            x_train = scaler.fit_transform(x_train.reshape(len(x_train), -1)).reshape(shape)
            if test is not None:
                test = (scaler.transform(test[0].reshape(len(test[0]), -1)).reshape(test[0].shape), test[1])
        return (x_train, y_train), test


def _regularizer_class(kind):
    """The weight penalty class a nested table names (``{ type = "L2", l2 = 0.001 }``), or None."""
    cls = getattr(nn.regularizers, kind, None) if isinstance(kind, str) else None
    return cls if isinstance(cls, type) and issubclass(cls, nn.regularizers.Regularizer) else None


def _optimizer(spec, source: str):
    if isinstance(spec, str):
        return optim.get(spec)
    spec = dict(spec)
    kind = spec.pop("type", None)
    cls = getattr(optim, kind, None) if isinstance(kind, str) else None
    if not (isinstance(cls, type) and issubclass(cls, optim.Optimizer)):
        raise RunFileError(
            f"{source}: [compile] optimizer type {kind!r}; valid: SGD, Adagrad, Adadelta, RMSProp, Adam"
        )
    return cls(**spec)


# The schedules a run file may name: those whose arguments are numbers (not functions).
SCHEDULES = tuple(
    name
    for name in optim.schedules.__all__
    if isinstance(getattr(optim.schedules, name), type) and name not in ("Schedule", "LambdaLR", "FunctionLR")
)


def _schedule(spec: dict, source: str) -> optim.schedules.Schedule:
    """A schedule from its table (``SequentialLR``'s ``schedulers``: a list of such tables), to be stepped
    with the updates by the optimizer."""
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind not in SCHEDULES:
        raise RunFileError(f"{source}: [compile.schedule] type {kind!r}; valid: {', '.join(SCHEDULES)}")
    if "optimizer" in spec:
        raise RunFileError(f"{source}: [compile.schedule] takes no optimizer: it steps [compile]'s")
    if isinstance(spec.get("schedulers"), list):
        spec["schedulers"] = [_schedule(_as_table(item, source), source) for item in spec["schedulers"]]
    return getattr(optim.schedules, kind)(**spec)


def _as_table(item, source: str) -> dict:
    if not isinstance(item, dict):
        raise RunFileError(
            f"{source}: [compile.schedule] schedulers: expected tables with a type, found {item!r}"
        )
    return item


def _loss(spec, source: str):
    if spec is None:
        raise RunFileError(f'{source}: [compile] needs a loss, e.g. loss = "sparse_categorical_crossentropy"')
    if isinstance(spec, str):
        return nn.losses.get(spec)
    spec = dict(spec)
    kind = spec.pop("type", None)
    cls = getattr(nn.losses, kind, None) if isinstance(kind, str) else None
    if not (isinstance(cls, type) and issubclass(cls, nn.Loss)):
        raise RunFileError(
            f"{source}: [compile] loss type {kind!r}; valid: MSE, MAE, Huber, "
            "BinaryCrossEntropy, CategoricalCrossEntropy, SparseCategoricalCrossEntropy"
        )
    return cls(**spec)


def _load(spec: dict, source: str):
    kind = spec.pop("source", None)
    spec.pop("scale", None)
    flatten = spec.pop("flatten", True)
    test_size = spec.pop("test_size", 0.2)
    features = spec.pop("features", None)
    if features is not None and kind not in _PLANE_SOURCES:
        raise RunFileError(
            f"{source}: [data] features are computed from 2-D points: sources {', '.join(_PLANE_SOURCES)}; "
            f"this source is {kind!r}"
        )
    if kind in ("mnist", "fashion_mnist"):
        normalize = spec.pop("normalize", True)
        limit = spec.pop("limit", None)
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise RunFileError(f"{source}: [data] limit must be a positive number of images, got {limit!r}")
        loader = datasets.load_mnist if kind == "mnist" else datasets.load_fashion_mnist
        (x_train, y_train), (x_test, y_test) = loader(**spec)
        x_train, y_train, x_test, y_test = x_train[:limit], y_train[:limit], x_test[:limit], y_test[:limit]
        if flatten:
            x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
        else:  # grey images with their channel axis, NCHW
            x_train, x_test = x_train[:, None], x_test[:, None]
        if normalize:
            x_train, x_test = x_train / np.float32(255), x_test / np.float32(255)
        return (x_train, y_train), (x_test, y_test)
    if kind == "sklearn":
        x, y = datasets.load_sklearn(spec.pop("name", "digits"))
    elif kind == "csv":
        if "path" not in spec or "target" not in spec:
            raise RunFileError(f"{source}: a csv source needs path and target")
        x, y, _ = datasets.read_csv(spec.pop("path"), spec.pop("target"), **spec)
    elif kind == "gate":
        x, y = datasets.logic_gate(spec.pop("name", "xor"))
        return (_features(x, features), y), None
    elif kind in ("moons", "circles", "spirals", "blobs"):
        x, y = getattr(datasets, f"make_{kind}")(**spec)
        x = _features(x, features)
    else:
        raise RunFileError(
            f"{source}: [data] source {kind!r}; valid: sklearn, mnist, fashion_mnist, csv, gate, "
            "moons, circles, spirals, blobs, text, series, planetoid, karate_club, stochastic_block_model"
        )
    stratify = y if y.dtype.kind in "iu" else None
    x_train, x_test, y_train, y_test = datasets.train_test_split(x, y, test_size=test_size, stratify=stratify)
    return (x_train, y_train), (x_test, y_test)


_PLANE_SOURCES = ("gate", "moons", "circles", "spirals", "blobs")


def _features(x, features):
    """The 2-D points as the ``features`` chosen (``glassnet.data.features``: "x1", "x1^2", "sin_x1", ...),
    or as they are without the key."""
    return x if features is None else datasets.feature_columns(x, features)


def _take(spec: dict, source: str, kind: str, **defaults) -> dict:
    """The options of a ``kind`` source: ``defaults`` overridden by ``spec``; any key of ``spec`` that is
    not among them is an error that lists the valid ones."""
    unknown = set(spec) - set(defaults)
    if unknown:
        valid = sorted({*defaults, "source"})
        raise RunFileError(
            f"{source}: unknown [data] keys {sorted(unknown)} for a {kind} source; valid: {valid}"
        )
    return {**defaults, **spec}


def _test_size(value, source: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < 1:
        raise RunFileError(f"{source}: [data] test_size must be in [0, 1), got {value}")
    return float(value)


def _load_text(spec: dict, source: str):
    """A language model's windows from a text file: ids[s : s+L] and ids[s+1 : s+L+1]; the tokenizer is
    fitted on the first 1 - test_size of the text, the rest tests."""
    options = _take(
        spec,
        source,
        "text",
        path=None,
        name=None,
        tokenizer="char",
        seq_len=100,
        stride=None,
        test_size=0.1,
        max_words=None,
        encoding="utf-8",
    )
    if (options["path"] is None) == (options["name"] is None):
        raise RunFileError(f'{source}: a text source needs path (a text file) or name = "tinyshakespeare"')
    if options["name"] is not None:
        if options["name"] != "tinyshakespeare":
            raise RunFileError(f'{source}: [data] text name {options["name"]!r}; valid: "tinyshakespeare"')
        path, text = "tiny Shakespeare", datasets.load_tiny_shakespeare()
    else:
        path = Path(options["path"])
        if not path.exists():
            raise FileNotFoundError(f"{source}: [data] path: no text file at {path}")
        text = read_text_file(path, TextFileError, "text file", encoding=options["encoding"])
    if options["tokenizer"] == "char":
        if options["max_words"] is not None:
            raise RunFileError(f'{source}: [data] max_words is for tokenizer = "word"')
        tokenizer = datasets.CharTokenizer()
    elif options["tokenizer"] == "word":
        tokenizer = datasets.WordTokenizer(max_words=options["max_words"])
    else:
        raise RunFileError(
            f'{source}: [data] tokenizer must be "char" or "word", got {options["tokenizer"]!r}'
        )
    split = int(len(text) * (1 - _test_size(options["test_size"], source)))
    tokenizer.fit(text[:split])
    seq_len, stride = options["seq_len"], options["stride"]
    try:
        train = datasets.language_model_dataset(tokenizer.encode(text[:split]), seq_len, stride)
        test = None
        if split < len(text):
            test = datasets.language_model_dataset(tokenizer.encode(text[split:]), seq_len).arrays
    except ValueError as error:
        raise RunFileError(f"{source}: [data] {path}: {error}") from None
    return train.arrays, test, {"tokenizer": tokenizer}


def _load_series(spec: dict, source: str):
    """Forecasting windows of one series (a CSV column, or a data set a package ships), split in time,
    scaled with a scaler fitted on the training steps only."""
    options = _take(
        spec,
        source,
        "series",
        path=None,
        column=None,
        name=None,
        lookback=12,
        horizon=1,
        test_size=0.2,
        scale="standard",
    )
    if (options["path"] is None) == (options["name"] is None):
        raise RunFileError(f'{source}: a series source needs path (with column) or name = "sunspots"')
    if options["name"] is not None:
        values = _shipped_series(options["name"], source)
    else:
        if options["column"] is None:
            raise RunFileError(f"{source}: a series from a CSV file needs column, the one to forecast")
        try:
            values, _, info = datasets.read_csv(options["path"], None, features=[options["column"]])
        except (ValueError, KeyError) as error:
            raise RunFileError(f"{source}: [data] {options['path']}: {error}") from None
        if info.categories:
            raise RunFileError(
                f"{source}: [data] column {options['column']!r} is not numeric; a series needs numbers"
            )
    scale = options["scale"]
    if scale not in ("standard", "minmax", "none"):
        raise RunFileError(f"{source}: [data] scale must be standard, minmax or none, got {scale!r}")
    test_size = _test_size(options["test_size"], source)
    if test_size == 0:
        raise RunFileError(f"{source}: a series source needs test_size > 0: the forecast is scored on it")
    try:
        series = datasets.windowed_series(
            values, options["lookback"], options["horizon"], 1 - test_size, None if scale == "none" else scale
        )
    except ValueError as error:
        raise RunFileError(f"{source}: [data] {error}") from None
    return (series.x_train, series.y_train), (series.x_test, series.y_test), {"series": series}


def _shipped_series(name: str, source: str):
    if name != "sunspots":
        raise RunFileError(f'{source}: [data] series name {name!r}; valid: "sunspots" (or a CSV path)')
    try:
        return datasets.load_sunspots()
    except ImportError as error:
        raise RunFileError(f"{source}: {error}") from None


_SEQUENCE_SOURCES = {"text": _load_text, "series": _load_series}


def _load_planetoid(spec: dict, source: str) -> Graph:
    """Cora or Citeseer with the GCN paper's split (``data.load_planetoid``)."""
    options = _take(spec, source, "planetoid", name="cora", path=None, normalize_features=True)
    return datasets.load_planetoid(**options)


def _load_karate_club(spec: dict, source: str) -> Graph:
    """Zachary's karate club; ``labelled`` members train, the others test."""
    options = _take(spec, source, "karate_club", labelled=[0, 33, 1, 32])
    try:
        return datasets.karate_club(**options)
    except ImportError as error:
        raise RunFileError(f"{source}: {error}") from None


def _load_block_model(spec: dict, source: str) -> Graph:
    """Communities of a stochastic block model, drawn from the run's seed."""
    options = _take(spec, source, "stochastic_block_model", sizes=[30, 30, 30], p_in=0.2, p_out=0.02,
                    features=8, noise=1.0, train_per_class=5, validation=30)
    return datasets.stochastic_block_model(**options)


GRAPH_SOURCES = {
    "planetoid": _load_planetoid,
    "karate_club": _load_karate_club,
    "stochastic_block_model": _load_block_model,
}


def parse_config(text: str, source: str = "<text>") -> RunConfig:
    """A ``RunConfig`` from TOML text, with errors that name the file and the key (``RUN_SCHEMA``)."""
    raw = _toml(text, source)
    RUN_SCHEMA.check(raw, RunFileError, source)
    layers = raw["model"].get("layers")
    architecture = None
    if "architecture" in raw["model"]:
        if layers is not None:
            raise RunFileError(f"{source}: [model] has both layers and architecture; give one")
        architecture, layers = dict(raw["model"]), []
    elif not layers:
        raise RunFileError(
            f'{source}: [model] needs layers = [{{ type = "Dense", units = 10 }}, ...] or '
            'architecture = "LeNet5"'
        )
    return RunConfig(
        name=raw.get("name", Path(source).stem),
        seed=raw.get("seed", 0),
        data=raw["data"],
        layers=layers,
        compile=raw["compile"],
        fit=dict(raw.get("fit", {})),
        source=source,
        architecture=architecture,
        search=raw.get("search"),
    )


def _toml(text: str, source: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RunFileError(f"{source}: not valid TOML: {error}") from None
    except RecursionError:
        raise RunFileError(f"{source}: expected TOML, found nesting too deep to read") from None


def read_toml(path, what: str = "file") -> dict:
    """The TOML table in the file at ``path``, with errors that name the file (``what`` says which kind):
    a directory, a file over 1 MiB, bytes that are not UTF-8, or text that is not TOML."""
    return _toml(read_text_file(path, RunFileError, what, limit=_RUN_FILE_LIMIT), str(path))


def load_config(path=None) -> RunConfig:
    """The run described in the TOML file at ``path``, or the embedded default when ``path`` is None."""
    if path is None:
        return parse_config(DEFAULT_CONFIG, "<embedded default>")
    text = read_text_file(path, RunFileError, "run file", limit=_RUN_FILE_LIMIT)
    return parse_config(text, str(path))
