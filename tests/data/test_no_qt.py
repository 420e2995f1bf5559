"""The data layer never imports Qt (it is used without a window, too)."""

import subprocess
import sys


def test_data_layer_imports_no_qt():
    code = ("import sys, nndesk.data, nndesk.data.preprocess, nndesk.data.augment; "
            "qt = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'shiboken6', 'PyQt5', 'PyQt6', 'pyqtgraph')); print(qt)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
