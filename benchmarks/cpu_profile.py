"""Where glassnet's time goes, per workload of the suite: matrix products, element-wise passes, copies,
NumPy's dispatch and Python, from CPU samples of the timed steps alone.

    python benchmarks/cpu_profile.py [--only mlp_train lenet_train ...] [--frequency 999]
                                 [--markdown benchmarks/PROFILE.md]

Each workload of ``benchmarks/suite.py`` runs alone in its own process (glassnet only) under Linux
``perf record``, which samples every thread of the process ``--frequency`` times a second; the worker
switches sampling on after its warm-up and off after the timed steps (``perf --control``), so imports,
data generation and warm-up are not counted. Each sample's function is put in one category:

- GEMM kernels: OpenBLAS's compute kernels (``*_kernel*``), the arithmetic of the matrix products;
- GEMM packing: OpenBLAS's copies of panels into its own layout (``*copy*``), part of every product;
- BLAS threads waiting: the rest of OpenBLAS: its second thread spinning or synchronizing;
- element-wise: NumPy's ufunc loops and vector math (add, multiply, exp, tanh, maximum, ...) and libm;
- copies and casts: NumPy's array assignment, strided copies, casts, ``memcpy``/``memmove``;
- allocation: ``malloc``/``free``/``memset`` and the kernel's page faults for fresh memory;
- NumPy dispatch: the rest of NumPy's C code (argument parsing, ufunc selection, new arrays);
- Python: the interpreter (glassnet's own code: autograd, ops' Python, modules, the optimizer);
- other: everything else.
The shares are of CPU samples over all threads, not of wall time: with two threads busy in a product, the
GEMM's share counts both cores. Needs ``perf`` (Debian's linux-perf) with the cpu-clock event.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from suite import WORKLOADS  # noqa: E402 - the suite's workloads, found beside this file

CATEGORIES = (
    "GEMM kernels",
    "GEMM packing",
    "BLAS threads waiting",
    "element-wise",
    "copies and casts",
    "allocation",
    "NumPy dispatch",
    "Python",
    "other",
)
_ELEMENTWISE = re.compile(
    r"(_add|_subtract|_multiply|_divide|_true_divide|_maximum|_minimum|_exp|_log|_tanh|_sqrt|_square|"
    r"_power|_negative|_absolute|_greater|_less|_equal|_where|_sign|_reciprocal|_sum|_reduce|svml|simd|"
    r"npyv|_fmax|_fmin|_logistic|_clip|AVX|_avx|_V4|_V3)",
    re.IGNORECASE,
)
_COPIES = re.compile(r"(copy|cast|_to_|assign|memcpy|memmove|transpose|strided|contig)", re.IGNORECASE)
_ALLOCATION = re.compile(r"(malloc|free|calloc|realloc|memset|mmap|munmap|madvise|brk|page_fault|clear_page)")


def category(dso: str, symbol: str) -> str:
    """The category of one sampled function, from its library (``dso``) and name."""
    if "openblas" in dso or "libblas" in dso:
        if "kernel" in symbol:
            return "GEMM kernels"
        if "copy" in symbol:
            return "GEMM packing"
        return "BLAS threads waiting"
    if _ALLOCATION.search(symbol):
        return "allocation"
    if "kernel.kallsyms" in dso:
        return "allocation" if "fault" in symbol or "page" in symbol else "other"
    if "libm" in dso:
        return "element-wise"
    if "libc" in dso:
        return "copies and casts" if _COPIES.search(symbol) else "other"
    if "_multiarray_umath" in dso or "numpy" in dso:
        if _COPIES.search(symbol):
            return "copies and casts"
        if _ELEMENTWISE.search(symbol):
            return "element-wise"
        return "NumPy dispatch"
    if "python" in dso or "libpython" in dso:
        return "Python"
    return "other"


def _parse(report: str) -> dict:
    """Shares per category from ``perf report --no-children --sort dso,sym --stdio``."""
    shares = dict.fromkeys(CATEGORIES, 0.0)
    line_pattern = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.*)$")
    for line in report.splitlines():
        match = line_pattern.match(line)
        if match:
            share, dso, symbol = float(match.group(1)), match.group(2), match.group(3).strip()
            shares[category(dso, symbol)] += share
    return shares


def profile(name: str, frequency: int) -> dict:
    """Shares per category of the timed steps of one workload, glassnet alone in its own process."""
    workload = WORKLOADS[name]
    with tempfile.TemporaryDirectory() as folder:
        fifo, data = Path(folder) / "control", Path(folder) / "perf.data"
        os.mkfifo(fifo)
        worker = [sys.executable, str(HERE / "suite.py"), "--worker", name, "glassnet"]
        worker += ["--steps", str(workload.steps), "--repeats", str(workload.repeats)]
        record = ["perf", "record", "-q", "-F", str(frequency), "-D", "-1", "--control", f"fifo:{fifo}"]
        environment = {**os.environ, "GLASSNET_PERF_CONTROL": str(fifo)}
        subprocess.run([*record, "-o", str(data), "--", *worker], check=True, env=environment,
                       stdout=subprocess.DEVNULL)
        report = subprocess.run(
            ["perf", "report", "-i", str(data), "--no-children", "--sort", "dso,sym", "--stdio"],
            check=True, capture_output=True, text=True,
        ).stdout
    return _parse(report)


def markdown(rows: dict) -> str:
    lines = [
        "Share of CPU samples (all threads) in the timed steps of each workload, glassnet alone in its own "
        "process (`python benchmarks/cpu_profile.py`; categories in its docstring).",
        "",
        "| workload | " + " | ".join(CATEGORIES) + " |",
        "|---|" + "---:|" * len(CATEGORIES),
    ]
    for name, shares in rows.items():
        cells = " | ".join(f"{shares[key]:.0f}%" for key in CATEGORIES)
        lines.append(f"| {name} | {cells} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="+", choices=list(WORKLOADS))
    parser.add_argument("--frequency", type=int, default=999, help="samples per second and thread")
    parser.add_argument("--markdown", type=Path, default=HERE / "PROFILE.md")
    args = parser.parse_args()
    rows = {}
    for name in args.only or WORKLOADS:
        print(f"{name} ...", file=sys.stderr, flush=True)
        rows[name] = profile(name, args.frequency)
    table = markdown(rows)
    print(table)
    args.markdown.write_text(table)
    print(f"written to {args.markdown}", file=sys.stderr)


if __name__ == "__main__":
    main()
