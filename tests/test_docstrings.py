"""Every public function and class (each name in a module's __all__, and every Tensor method) says what it
does: a docstring, which for an op's function opens with the op's formula."""

import importlib
import inspect
import pkgutil

import glassnet
from glassnet.autograd.tensor import Tensor


def _public_objects():
    for info in pkgutil.walk_packages(glassnet.__path__, "glassnet."):
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", obj


def test_every_public_function_and_class_has_a_docstring():
    missing = [name for name, obj in _public_objects() if not (obj.__doc__ or "").strip()]
    assert not missing, f"public names without a docstring: {missing}"


def test_every_tensor_method_has_a_docstring():
    plain_dunders = {"__init__", "__len__", "__repr__"}
    methods = [name for name, member in vars(Tensor).items() if inspect.isfunction(member)]
    methods = [name for name in methods if name not in plain_dunders]
    missing = [name for name in methods if not (getattr(Tensor, name).__doc__ or "").strip()]
    assert not missing, f"Tensor methods without a docstring: {missing}"


def test_an_op_function_opens_with_its_formula():
    from glassnet.ops import activation

    assert activation.relu.__doc__.startswith("max(0, x);  dy/dx = 1 if x > 0 else 0  (the op ``ReLU``).")
    assert Tensor.relu.__doc__ == activation.relu.__doc__
