import subprocess
import sys


def test_engine_data_workflow_and_cli_never_import_qt():
    """The engine and the data layer are used without a window (the CLI, scripts, tests)."""
    code = ("import sys, nndesk.engine, nndesk.data, nndesk.workflow, nndesk.cli, "
            "nndesk.imagefile, nndesk.data.preprocess, nndesk.data.augment, nndesk.data.mydigits; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'shiboken6', 'PyQt5', 'PyQt6', 'pyqtgraph')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
