"""Tensor's operators and methods are written in autograd/tensor.py; the ops layer only fills their table."""

from glassnet.autograd.tensor import METHODS, Tensor
from glassnet.ops import tensor_methods


def test_every_tensor_method_calls_the_op_in_the_table_and_nothing_is_attached():
    """Tensor's operators are written in autograd/tensor.py, each calling its entry of the ops' table."""
    assert set(METHODS) == set(tensor_methods.METHODS)
    for name in METHODS:
        assert name in Tensor.__dict__, f"Tensor.{name} is not written in autograd/tensor.py"
        assert Tensor.__dict__[name] is not tensor_methods.METHODS[name]  # a method, not an attachment
