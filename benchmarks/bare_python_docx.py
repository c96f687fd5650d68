"""The bare python-docx script the cold-start benchmark compares one `txplan render` against:
read the plan, build the document by hand, save it. Usage: bare_python_docx.py PLAN OUT."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from alternatives import load, python_docx_by_hand  # noqa: E402

python_docx_by_hand(load(Path(sys.argv[1])), Path(sys.argv[2]))
