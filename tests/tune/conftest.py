"""Make the search tests' shared problem importable by the modules beside it and by the scripts they run
in subprocesses (pytest runs with --import-mode=importlib, which does not put test folders on sys.path)."""

import sys
from pathlib import Path

_here = str(Path(__file__).resolve().parent)
if _here not in sys.path:
    sys.path.insert(0, _here)

collect_ignore_glob = ["search_helpers.py"]
