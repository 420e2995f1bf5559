"""The desktop window (PySide6 + pyqtgraph).

Only this package imports Qt. The engine and data packages know nothing about it;
the window is one client of :mod:`nndesk.engine`, like the command line and the tests.
Start it with :func:`nndesk.gui.app.run`.
"""
