"""The desktop window (PySide6 + pyqtgraph).

Only this package imports Qt (import-linter's contracts in ``pyproject.toml`` say so). The
engine and data packages know nothing about it; the window is one client of
:mod:`nndesk.engine`, like the command line and the tests. Start it with
:func:`nndesk.gui.app.run`.

The map:

- ``main_window``: builds the pages, wires them to the session, the menus (``menus``) and
  the background work; says what can be done now.
- ``session``: the state (network, history, metrics, model file, unsaved work, datasets, run
  state), announced by signals.
- ``files``: open, save, recent models, spec import and export, the unsaved-work prompts.
- ``runner``: training runs as the window shows them; ``worker``: the training job;
  ``tasks``: the one kind of background worker; ``datasets``: the one dataset cache.
- The form: ``spec_form`` over a Qt-free ``spec_document``, with ``layer_stack`` (the table
  of layers, ``layer_table``, and the selected layer's ``layer_settings``) and
  ``training_settings`` (and their words in ``form_text``).
- The views: ``dashboard`` and ``plots`` (``plot_series``); the tabs that look inside the
  network, ``inspect_tabs``: ``weights_view`` (first-layer units or filters) and
  ``layer_weights`` (sharing ``weight_images``), ``feature_maps`` (``map_strip``); the drawing
  pad in ``pad`` (``pad_link`` feeds it).
- ``help``, ``settings``, ``widgets``, ``imagefile`` (images for ``nndesk predict``), ``app``.
"""
