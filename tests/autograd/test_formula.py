"""Formula: math written once in LaTeX; the plain text, the str.format templates of worked solutions and
the op docstrings all derived from it."""

import pytest

from glassnet.autograd.formula import Formula, to_text
from glassnet.ops import activation, arithmetic, loss


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"\frac{1}{1 + e^{-x}}", "1 / (1 + e^(-x))"),  # a whole-formula fraction is spaced
        (r"\frac{1}{n}\left(-\frac{y}{\hat{y}} + \frac{1 - y}{1 - \hat{y}}\right)",
         "(1/n)(-y/ŷ + (1 - y)/(1 - ŷ))"),  # nested fractions are tight, atoms unparenthesised
        (r"\frac{dz}{da} = b\, a^{b-1}, \frac{dz}{db} = a^b \ln(a)", "dz/da = b a^(b-1), dz/db = a^b ln(a)"),
        (r"(\hat{y} - y)^2", "(ŷ - y)²"),
        (r"\sum_j e^{x_j}", "Σⱼ e^(xⱼ)"),
        (r"\frac{\partial y_i}{\partial x_j}", "∂yᵢ/∂xⱼ"),
        (r"x W^{\top}", "x Wᵀ"),
        (r"1\text{ if }x > 0\text{ else }\alpha", "1 if x > 0 else α"),
        (r"\frac{1}{2}\delta", "(1/2)δ"),
    ],
)  # fmt: skip
def test_text_is_derived_from_the_latex(latex, text):
    assert to_text(latex) == text


def test_slots_show_their_symbols_or_what_fills_them():
    f = Formula("(#p - #y)^2", p=r"\hat{y}")
    assert f.slots() == ["p", "y"]
    assert f.text() == "(ŷ - y)²" and f.tex() == r"(\hat{y} - y)^2"
    assert f.text(p="a") == "(a - y)²"
    assert Formula("#y(1 - #y)").text(y=r"\sigma(z)") == "σ(z)(1 - σ(z))"


def test_templates_put_numbers_in_with_an_explicit_product_sign():
    assert Formula("#y(1 - #y)").template(numbers=("y",)) == "{y}·(1 - {y})"
    assert Formula("#y(1 - #y)").template(numbers=("y",), latex=True) == r"{y} \cdot (1 - {y})"
    bce = Formula(r"-[#y \log #p + (1 - #y) \log(1 - #p)]")
    assert bce.template(numbers=("y", "p")) == "-[{y}·log {p} + (1 - {y})·log(1 - {p})]"
    # literal braces of the LaTeX are doubled so that str.format leaves them
    sigmoid = Formula(r"\frac{1}{1 + e^{-#x}}").template(numbers=("x",), latex=True)
    assert sigmoid == r"\frac{{1}}{{1 + e^{{-{x}}}}}" and sigmoid.format(x=2) == r"\frac{1}{1 + e^{-2}}"
    # a number stands for the component itself: no subscript after it
    assert Formula(r"-\frac{#y_k}{#p_k}").template(numbers=("y", "p")) == "-{y}/{p}"


def test_rhs_is_what_follows_the_first_equals_sign():
    assert activation.Sigmoid.derivative.rhs().text() == "y(1 - y)"
    assert Formula("x + 1").rhs().text() == "x + 1"


def test_ops_docstrings_begin_with_their_formula_and_derivative():
    assert activation.Sigmoid.__doc__.startswith("``sigmoid``: 1 / (1 + e^(-x));  dy/dx = y(1 - y).")
    bce = "``binary_crossentropy``: -[y log ŷ + (1 - y) log(1 - ŷ)]"
    assert loss.BinaryCrossEntropy.__doc__.startswith(bce)
    assert arithmetic.Pow.derivative.text() == "dz/da = b a^(b-1), dz/db = a^b ln(a)"


def test_an_unknown_command_is_a_clear_error():
    with pytest.raises(ValueError, match=r"no text rule for \\foo"):
        to_text(r"\foo{x}")


def test_an_op_with_a_plain_string_formula_is_refused_when_it_is_defined():
    from glassnet.autograd.function import Function

    with pytest.raises(TypeError, match="formula must be a Formula"):

        class Bad(Function):  # noqa: F841 - defining it is the test
            name, formula = "bad", "x + 1"
