"""Converters of the containers and the ready models: ``Sequential``, the functional ``Model`` (its graph
of layer calls, merge layers included), ``TimeDistributed``, ResNet's ``BasicBlock``, ``CharRNN``,
``TransformerLM`` (the forward pass without cache), ``ViT`` and a ``GAN`` (its generator: noise ->
samples)."""

from __future__ import annotations

import numpy as np

from glassnet import nn
from glassnet.io.onnx.attention import add_positions, causal_mask, encoder_layer
from glassnet.io.onnx.graph import NotExportable, Value, convert, converts, describe
from glassnet.io.onnx.layers import unsupported_mask
from glassnet.models.char_rnn import CharRNN
from glassnet.models.gan import GAN
from glassnet.models.resnet import BasicBlock
from glassnet.models.transformer_lm import TransformerLM
from glassnet.models.vit import ViT

__all__ = ["sequential", "functional_model"]


def _passes_mask(layer, has_mask: bool) -> bool:
    """Whether a padding mask reaches past ``layer`` (as ``nn.containers.call_with_mask`` hands it on);
    a layer that would read one cannot be exported."""
    if has_mask and getattr(layer, "supports_masking", False):
        raise unsupported_mask(layer)
    if isinstance(layer, nn.Embedding):
        return layer.mask_zero
    return has_mask and hasattr(layer, "compute_mask") and getattr(layer, "return_sequences", False)


@converts(nn.Sequential)
def sequential(b, model, x):
    """The layers in order; a padding mask (Embedding(mask_zero=True)) may pass only where no layer reads
    it."""
    has_mask = False
    for layer in model.layers:
        has_mask = _passes_mask(layer, has_mask)
        x = convert(b, layer, x)
    return x


converts(nn.InputLayer)(lambda b, layer, x: x)


@converts(nn.Model)
def functional_model(b, model, x):
    """The nodes in the model's order, each layer's converter on the Values of its inputs."""
    given = x if isinstance(x, list) else [x]
    values = {id(item): value for item, value in zip(model.inputs, given)}
    masked = set()
    for node in model.nodes:
        arguments = [values[id(source)] for source in node.inputs]
        if node.as_list:
            result = convert(b, node.layer, arguments, **node.kwargs)
        else:
            if _passes_mask(node.layer, id(node.inputs[0]) in masked):
                masked.add(id(node.outputs[0]))
            result = convert(b, node.layer, arguments[0], **node.kwargs)
        results = result if len(node.outputs) > 1 else [result]
        values.update((id(out), value) for out, value in zip(node.outputs, results))
    outputs = [values[id(item)] for item in model.outputs]
    return outputs if model._outputs_as_list else outputs[0]


@converts(nn.Add, nn.Multiply, nn.Average)
def merge(b, layer, xs):
    """Sum (Add, Average then times 1/n) or a chain of Mul."""
    if isinstance(layer, nn.Multiply):
        y = xs[0].name
        for x in xs[1:]:
            y = b.op("Mul", [y, x.name])
    else:
        y = b.op("Sum", [x.name for x in xs])
    if isinstance(layer, nn.Average):
        y = b.op("Mul", [y, b.weight(np.float32(1 / len(xs)), "mean")])
    return Value(y, xs[0].shape)


@converts(nn.Concatenate)
def concatenate(b, layer, xs):
    shape = layer.compute_output_shape([x.shape for x in xs])
    return Value(b.op("Concat", [x.name for x in xs], axis=int(layer.axis)), tuple(shape))


@converts(nn.TimeDistributed)
def time_distributed(b, layer, x):
    """The inner layer on (N·T, ...) (the steps as examples), reshaped back to (N, T, ...)."""
    steps = x.shape[1]
    if steps is None or None in x.shape[2:]:
        raise NotExportable(f"cannot export {describe(layer)} with unknown sizes {x.shape}: give input_shape")
    flat = b.op("Reshape", [x.name, b.ints([-1, *x.shape[2:]])], "steps_as_examples")
    flat = Value(flat, (None, *x.shape[2:]))
    y = convert(b, layer.layer, flat)
    if None in y.shape[1:]:
        raise NotExportable(f"cannot export {describe(layer)}: the inner output size {y.shape} is unknown")
    shape = (None, steps, *y.shape[1:])
    return Value(b.op("Reshape", [y.name, b.ints([-1, *shape[1:]])], "steps"), shape)


def _relu(b, x: Value) -> Value:
    return Value(b.op("Relu", [x.name]), x.shape)


@converts(BasicBlock)
def basic_block(b, block, x):
    """relu(BN(conv(relu(BN(conv(x))))) + shortcut(x))."""
    out = _relu(b, convert(b, block.bn1, convert(b, block.conv1, x)))
    out = convert(b, block.bn2, convert(b, block.conv2, out))
    shortcut = convert(b, block.shortcut_bn, convert(b, block.shortcut_conv, x)) if block.projects else x
    return _relu(b, Value(b.op("Add", [out.name, shortcut.name], "residual"), out.shape))


@converts(CharRNN)
def char_rnn(b, model, ids):
    """Embedding, the recurrent layers (every step), the head: logits (B, T, V)."""
    x = convert(b, model.embedding, ids)
    for layer in model.recurrent:
        x = convert(b, layer, x)[0]  # return_state: [sequence, *states]
    return convert(b, model.head, x)


@converts(TransformerLM)
def transformer_lm(b, model, ids):
    """Token embedding + positions, causal pre-norm blocks, final norm, the head (or the tied table)."""
    h = add_positions(b, model.position_embedding.weight, convert(b, model.token_embedding, ids))
    mask = causal_mask(b, model.context, h)
    for block in model.blocks:
        h = encoder_layer(b, block, h, mask)
    h = convert(b, model.norm, h)
    if model.head is not None:
        return convert(b, model.head, h)
    table = b.weight(model.token_embedding.weight.data.T, "tied_head")
    return Value(b.op("MatMul", [h.name, table], "logits"), h.shape[:-1] + (model.vocab_size,))


@converts(ViT)
def vit(b, model, x):
    """Patches by the strided convolution, as a sequence (N, P, d) after the class token, positions,
    the blocks, the norm, the head on the class token's vector."""
    d, patches = model.d_model, model.num_patches
    grid = convert(b, model.patches, x)
    sequence = b.op("Reshape", [grid.name, b.ints([0, d, patches])], "patches")
    sequence = b.op("Transpose", [sequence], "sequence", perm=[0, 2, 1])
    token = b.op("Expand", [b.weight(model.class_token, "class_token"),
                            b.batch_shape(x, [1, d])], "class_tokens")  # fmt: skip
    h = Value(b.op("Concat", [token, sequence], "tokens", axis=1), (None, 1 + patches, d))
    h = add_positions(b, model.position_embedding.weight, h)
    for block in model.blocks:
        h = encoder_layer(b, block, h)
    h = convert(b, model.norm, h)
    first = b.op("Gather", [h.name, b.ints(0, "class_position")], "class_vector", axis=1)
    return convert(b, model.head, Value(first, (None, d)))


@converts(GAN)
def gan(b, model, z):
    """A GAN's forward pass: the generator, noise z (N, latent_dim) -> samples; the moving average of
    the generator when the GAN keeps one (``ema_decay``), as ``GAN.forward`` samples from it."""
    generator = model.generator if model.generator_ema is None else model.generator_ema.module
    return convert(b, generator, z)
