"""A reader of nn/module.py finds the whole of Module's surface: compile, fit, evaluate, predict, save and the
weights in other layouts are declared there, each calling its implementation in glassnet.train or
glassnet.io (layers above nn)."""

from glassnet.io import model_file, onnx, weights
from glassnet.nn.module import TRAINING, Module
from glassnet.train import model


def test_training_and_saving_methods_are_declared_on_module_and_call_the_layers_above():
    for name in TRAINING:
        assert name in Module.__dict__, f"Module.{name} is not declared in nn/module.py"
    assert TRAINING == {
        "compile": model.compile,
        "fit": model.fit,
        "evaluate": model.evaluate,
        "predict": model.predict,
        "save": model_file.save_model,
        "export_onnx": onnx.export_onnx,
        "save_weights": weights.save_weights,
        "load_weights": weights.load_weights,
        "get_weights": weights.get_weights,
        "set_weights": weights.set_weights,
        "to_torch_state_dict": weights.to_torch_state_dict,
        "load_torch_state_dict": weights.from_torch_state_dict,
    }
    assert Module.fit.__doc__ == model.fit.__doc__ and Module.save.__doc__ == model_file.save_model.__doc__


def test_a_misspelt_layer_argument_names_the_close_match():
    import pytest

    from glassnet import nn

    with pytest.raises(TypeError, match=r"argument 'activaton'; did you mean 'activation'\?"):
        nn.Dense(3, activaton="relu")
    with pytest.raises(TypeError, match=r"'retrun_sequences'; did you mean 'return_sequences'\?"):
        nn.LSTM(4, retrun_sequences=True)
    with pytest.raises(TypeError, match=r"'zzz'; it takes: units, activation"):
        nn.Dense(3, zzz=1)
