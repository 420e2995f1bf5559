import subprocess
import sys


def test_engine_data_workflow_and_cli_never_import_qt():
    """The engine and the data layer are used without a window (the CLI, scripts, tests)."""
    code = ("import sys, nndesk.engine, nndesk.data, nndesk.workflow, nndesk.cli, "
            "nndesk.data.preprocess, nndesk.data.augment, nndesk.data.mydigits; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'shiboken6', 'PyQt5', 'PyQt6', 'pyqtgraph')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_import_contracts_hold(tmp_path):
    """import-linter's contracts in pyproject.toml: the layers import downward only."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = ("import sys; from importlinter.cli import lint_imports; "
            f"sys.exit(lint_imports(config_filename={str(root / 'pyproject.toml')!r}, "
            f"cache_dir={str(tmp_path)!r}, no_logo=True))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 kept, 0 broken" in done.stdout, done.stdout
