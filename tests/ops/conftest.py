"""Make the op table importable by the test modules beside it (pytest runs with --import-mode=importlib,
which does not put test directories on sys.path)."""

import sys
from pathlib import Path

_here = str(Path(__file__).resolve().parent)
if _here not in sys.path:
    sys.path.insert(0, _here)

# The op table's files are imported by the tests as ``op_table`` (which imports each op_table_<family>.py);
# collecting them again for doctests, under another module name, would import them in a cycle.
collect_ignore_glob = ["op_table*.py"]
