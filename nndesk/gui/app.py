"""Starting the window: ``run()`` creates the QApplication, shows the window and runs it.

The command line's ``nndesk`` (no subcommand) calls :func:`run`. Qt and pyqtgraph are
imported once, here; the dataset loads in the background after the window is shown.
"""

from __future__ import annotations

import os
import sys
import traceback

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def leave_a_core_for_the_window() -> None:
    """Let NumPy's BLAS use every core but one, so the window always has one to itself.

    BLAS threads wait for each other at every matrix product; when the window's thread takes
    one of their cores to draw, the whole product stalls. One core fewer for training keeps
    the window responsive and, measured on a 2-core machine, training no slower. Only
    possible before NumPy is imported, and never overrides a person's own setting.
    """
    if "numpy" in sys.modules or any(v in os.environ for v in BLAS_THREAD_VARIABLES):
        return
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    threads = str(max(1, cores - 1))
    os.environ["OPENBLAS_NUM_THREADS"] = threads
    os.environ["MKL_NUM_THREADS"] = threads


def _qt_argv(argv: list[str] | None) -> list[str]:
    """Qt's argv: the program name first (``run(sys.argv[:1])`` passes just that)."""
    argv = list(sys.argv if argv is None else argv)
    return argv or ["nndesk"]


def show_exception(exc_type, exc, tb) -> None:
    """The app-wide excepthook: print the traceback and show it in a dialog."""
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(text)
    if issubclass(exc_type, KeyboardInterrupt):
        return
    from PySide6.QtWidgets import QApplication, QMessageBox
    app = QApplication.instance()
    if app is None or getattr(show_exception, "_showing", False):
        return
    show_exception._showing = True
    try:
        box = QMessageBox(QMessageBox.Icon.Critical, "Unexpected error",
                          f"Something went wrong: {exc_type.__name__}: {exc}",
                          QMessageBox.StandardButton.Close, app.activeWindow())
        box.setInformativeText("Your work is still open. If this keeps happening, save your model "
                               "and restart nndesk; the details below help to report it.")
        box.setDetailedText(text)
        box.exec()
    finally:
        show_exception._showing = False


def bindings_are_broken() -> bool:
    """True when the installed PySide6 miscounts references to None (6.12.0 on Python 3.11).

    Such a build drops a reference to None on every call of a Qt method that returns
    nothing, and the interpreter aborts a few thousand calls later. Python 3.12+ makes None
    immortal, so only older interpreters are affected.
    """
    if sys.version_info >= (3, 12):
        return False
    from PySide6.QtCore import QObject
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(50):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before - 25


def create_application(argv: list[str] | None = None):
    """The QApplication (reused if one exists), named for settings and the desktop."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from nndesk import __version__

    from .settings import APPLICATION, ORGANIZATION

    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(_qt_argv(argv))
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("nndesk")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("nndesk")
    return app


def run(argv: list[str] | None = None) -> int:
    """Create the application, show the main window and run until it closes."""
    leave_a_core_for_the_window()
    if bindings_are_broken():
        import PySide6
        sys.stderr.write(
            f"nndesk: PySide6 {PySide6.__version__} has a reference-counting bug on Python "
            f"{sys.version_info.major}.{sys.version_info.minor} that would crash the window. "
            f"Install another version, e.g.: pip install 'PySide6-Essentials>=6.6,!=6.12.0'\n")
        return 1
    app = create_application(argv)
    previous_hook = sys.excepthook
    sys.excepthook = show_exception
    try:
        from .main_window import MainWindow
        window = MainWindow()
        window.show()
        return app.exec()
    finally:
        sys.excepthook = previous_hook


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(run())
