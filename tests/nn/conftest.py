"""Make the layer table importable by the test modules beside it (pytest runs with --import-mode=importlib,
which does not put test directories on sys.path)."""

import sys
from pathlib import Path

_here = str(Path(__file__).resolve().parent)
if _here not in sys.path:
    sys.path.insert(0, _here)

# Imported by the tests as ``layer_table``; collected again for doctests it would be a second copy.
collect_ignore = ["layer_table.py"]
