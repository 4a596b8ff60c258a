"""Weight averaging: a running average of a model's weights over training, kept beside the model (PyTorch's
``torch.optim.swa_utils.AveragedModel``). The average usually gives smoother and better outputs than the
last weights: a GAN's generator sampled from its exponential moving average makes cleaner images
(Yazıcı et al., 2019), and stochastic weight averaging (Izmailov et al., 2018) finds flatter minima.

For the model's weights θ after its n-th update and the average θ̄ (a copy of the model):

    n = 1:   θ̄ = θ                                    (the first update copies)
    EMA:     θ̄ ← θ̄ + (1 - d)(θ - θ̄)                 (decay d, e.g. 0.999: about the last 1/(1 - d) steps)
    SWA:     θ̄ ← θ̄ + (θ - θ̄)/(n_avg + 1)             (no decay: the plain mean of every update so far)

each computed as PyTorch's ``torch.lerp`` computes a + w(b - a) (as b - (b - a)(1 - w) when w ≥ 1/2).
"""

from __future__ import annotations

import copy

import numpy as np

from glassnet.nn.module import Module

__all__ = ["AveragedModel", "lerp_"]


def lerp_(average: np.ndarray, current: np.ndarray, weight: float) -> None:
    """average ← average + weight·(current - average), in place, in the form ``torch.lerp`` uses: for
    weight ≥ 1/2 as current - (current - average)(1 - weight), so that the two agree to the last bit."""
    difference = current - average
    if weight < 0.5:
        difference *= weight
        average += difference
    else:
        difference *= 1 - weight
        np.subtract(current, difference, out=average, casting="same_kind")


class AveragedModel(Module):
    """A copy of ``model`` whose weights are the running average of the model's, updated by
    ``update_parameters(model)`` after each optimizer step (or each epoch, for SWA); calling it runs the
    averaged copy (``averaged.module``).

    Args:
        model: the module to average (copied here; its own weights are never changed).
        decay: d of the exponential moving average (PyTorch's
            ``multi_avg_fn=get_ema_multi_avg_fn(d)``); None (the default) for the plain mean (SWA).
        use_buffers: average the buffers too (batch norm's running statistics), as PyTorch's
            ``use_buffers=True``; by default they are copied from the model at each update.

    The average's weights never require gradients. ``n_averaged`` (a buffer, saved with the model) counts
    the updates, so a saved and loaded average continues exactly.

    Example:
        >>> from glassnet import nn, optim
        >>> model = nn.Sequential([nn.Dense(2)], input_shape=(3,))
        >>> ema = optim.AveragedModel(model, decay=0.9)
        >>> ema.update_parameters(model); int(ema.n_averaged)
        1
    """

    def __init__(self, model: Module, decay: float | None = None, use_buffers: bool = False, name=None):
        if not isinstance(model, Module):
            raise TypeError(f"AveragedModel averages a glassnet Module, got {type(model).__name__}")
        if decay is not None and (isinstance(decay, bool) or not 0.0 <= float(decay) < 1.0):
            raise ValueError(f"AveragedModel: decay must be in [0, 1) (or None for SWA), got {decay!r}")
        super().__init__(name=name or f"{model.name}_averaged")
        self.decay = None if decay is None else float(decay)
        self.use_buffers = bool(use_buffers)
        self.module = copy.deepcopy(model)
        for parameter in self.module.parameters():
            parameter.requires_grad = False
            parameter.grad = None
        self.register_buffer("n_averaged", np.zeros((), dtype=np.int64))
        self.built = model.built
        self.input_shape = model.input_shape

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def compute_output_shape(self, input_shape):
        return self.module.compute_output_shape(input_shape)

    def _arrays(self, module: Module, with_buffers: bool) -> list:
        arrays = [parameter.data for parameter in module.parameters()]
        if with_buffers:
            arrays += [array for sub in module.modules() for array in sub._buffers.values()]
        return arrays

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current weights into the average (the formulas in this module's docstring)."""
        averages = self._arrays(self.module, self.use_buffers)
        currents = self._arrays(model, self.use_buffers)
        if len(averages) != len(currents) or any(a.shape != c.shape for a, c in zip(averages, currents)):
            raise ValueError(
                f"AveragedModel '{self.name}': '{model.name}' does not have the weights of the model it "
                "was made from (different count or shapes)"
            )
        count = int(self.n_averaged)
        for average, current in zip(averages, currents):
            if count == 0 or not np.issubdtype(average.dtype, np.floating):
                np.copyto(average, current, casting="unsafe")
            else:
                lerp_(average, current, 1 - self.decay if self.decay is not None else 1 / (count + 1))
        if not self.use_buffers:
            for average, current in zip(self._buffers_of(self.module), self._buffers_of(model)):
                np.copyto(average, current, casting="unsafe")
        self.n_averaged = np.array(count + 1, dtype=np.int64)

    @staticmethod
    def _buffers_of(module: Module) -> list:
        return [array for sub in module.modules() for array in sub._buffers.values()]

    def get_config(self):
        from glassnet.nn.serialization import serialize  # noqa: PLC0415 - serialization sits above modules

        return {
            **super().get_config(),
            "model": serialize(self.module),
            "decay": self.decay,
            "use_buffers": self.use_buffers,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from glassnet.nn.serialization import deserialize  # noqa: PLC0415

        config = dict(config)
        config["model"] = deserialize(config["model"], custom_objects)
        return cls(**config)

    def extra_repr(self):
        return f"decay={self.decay}, use_buffers={self.use_buffers}"
