"""benchmarks/cpu_profile.py puts each sampled function in the category its docstring promises."""

import sys
from pathlib import Path

import pytest


def _profile():
    """benchmarks/cpu_profile.py, imported by path (its folder is not a package)."""
    import importlib.util

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "cpu_profile.py"
    spec = importlib.util.spec_from_file_location("glassnet_benchmarks_profile", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OPENBLAS = "libscipy_openblas64_-32a4b2a6.so"
UMATH = "_multiarray_umath.cpython-311-x86_64-linux-gnu.so"


@pytest.mark.parametrize(
    "dso, symbol, expected",
    [
        (OPENBLAS, "sgemm_kernel_SKYLAKEX", "GEMM kernels"),
        (OPENBLAS, "sgemm_oncopy_SKYLAKEX", "GEMM packing"),
        (OPENBLAS, "blas_thread_server", "BLAS threads waiting"),
        (OPENBLAS, "inner_thread", "BLAS threads waiting"),
        (UMATH, "FLOAT_multiply_X86_V3", "element-wise"),
        (UMATH, "__svml_exp8_ha", "element-wise"),
        (UMATH, "_aligned_strided_to_contig_size4_srcstride0", "copies and casts"),
        (UMATH, "ufunc_generic_fastcall", "NumPy dispatch"),
        ("libc.so.6", "__memmove_avx512_unaligned_erms", "copies and casts"),
        ("libc.so.6", "__memset_avx512_unaligned_erms", "allocation"),
        ("libc.so.6", "_int_malloc", "allocation"),
        ("[kernel.kallsyms]", "exc_page_fault", "allocation"),
        ("libm.so.6", "__tanhf", "element-wise"),
        ("libpython3.11.so.1.0", "_PyEval_EvalFrameDefault", "Python"),
    ],
)
def test_category(dso, symbol, expected):
    assert _profile().category(dso, symbol) == expected


def test_parse_sums_shares_by_category():
    report = "\n".join(
        [
            "# Samples: 1K of event 'cpu-clock:ppp'",
            f"    29.84%  {OPENBLAS}  [.] inner_thread",
            f"     3.17%  {OPENBLAS}  [.] sgemm_kernel_SKYLAKEX",
            f"     0.48%  {UMATH}  [.] FLOAT_multiply_X86_V3",
            f"     0.24%  {UMATH}  [.] FLOAT_add_X86_V3",
            "     0.40%  libpython3.11.so.1.0  [.] _PyEval_EvalFrameDefault",
        ]
    )
    shares = _profile()._parse(report)
    assert shares["BLAS threads waiting"] == pytest.approx(29.84)
    assert shares["GEMM kernels"] == pytest.approx(3.17)
    assert shares["element-wise"] == pytest.approx(0.72)
    assert shares["Python"] == pytest.approx(0.40)
    assert sum(shares.values()) == pytest.approx(34.13)
