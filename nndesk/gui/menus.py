"""The window's actions, menus and the recent-models submenu."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence


def _action(window, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        if isinstance(shortcut, (list, tuple)):
            action.setShortcuts([QKeySequence(s) for s in shortcut])
        else:
            action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(slot)
    return action


def build_actions(w) -> None:
    """The window's actions, as attributes of ``w`` (``w.open_action``, ...)."""
    S = QKeySequence.StandardKey
    f = w.files
    w.new_action = _action(w, "&New", w.new_model, S.New, "Start over with the default network")
    w.open_action = _action(w, "&Open model…", f.open_dialog, S.Open,
                            "Open a saved model: its network, history and weights")
    w.save_action = _action(w, "&Save model", f.save, S.Save, "Save the trained network to its file")
    w.save_as_action = _action(w, "Save model &as…", f.save_as, S.SaveAs,
                               "Save the trained network to a new file")
    if not QKeySequence(S.SaveAs).toString():
        w.save_as_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
    w.import_action = _action(w, "&Import spec…", f.import_spec, "Ctrl+I",
                              "Load a network spec (JSON) into the form")
    w.export_action = _action(w, "&Export spec…", f.export_spec, "Ctrl+E",
                              "Save the form's network spec as JSON")
    w.quit_action = _action(w, "&Quit", w.close, S.Quit, "Close nndesk")
    if not QKeySequence(S.Quit).toString():
        w.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
    w.undo_action = w.form.undo_stack.createUndoAction(w, "&Undo")
    w.undo_action.setShortcuts(QKeySequence.StandardKey.Undo)
    w.redo_action = w.form.undo_stack.createRedoAction(w, "&Redo")
    w.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    r = w.runner
    w.start_action = _action(w, "&Start", r.start, ["F5", "Ctrl+Return"],
                             "Train a new network from the form")
    w.pause_action = _action(w, "&Pause", r.toggle_pause, ["F6", "Ctrl+Shift+P"],
                             "Pause or resume training")
    w.stop_action = _action(w, "S&top", r.stop, ["Shift+F5", "Ctrl+."],
                            "Stop training and keep the weights learned so far")
    w.step_action = _action(w, "St&ep", r.step, "F7",
                            "Take one batch and pause, and see its math on the Step page; from "
                            "idle it trains a new network on the Reference engine")
    w.lr_finder_action = _action(w, "Find a &learning rate…", w.inspect_tabs.open_lr_finder, None,
                                 "A short test run that suggests a learning rate for the form")
    w.step_epoch_action = _action(w, "Step epoc&h", r.step_epoch, "Shift+F7",
                                  "Take the rest of the epoch, then pause")
    w.shortcuts_action = _action(w, "&Keyboard shortcuts", w.show_shortcuts, ["F1", "Ctrl+/"],
                                 "List the keyboard shortcuts")
    w.train_page_action = _action(w, "&Build and train", lambda: w.show_page(0),
                                  QKeySequence("Ctrl+1"),
                                  "Show the network form and the training dashboard")
    w.draw_page_action = _action(w, "&Draw a digit", lambda: w.show_page(1), QKeySequence("Ctrl+2"),
                                 "Draw a digit and see what the network thinks")
    w.inspect_page_action = _action(w, "&Look inside", lambda: w.show_page(2),
                                    QKeySequence("Ctrl+3"),
                                    "Every layer's response to one digit, and its class evidence")
    w.evaluate_page_action = _action(w, "&Judge the test set", lambda: w.show_page(3),
                                     QKeySequence("Ctrl+4"),
                                     "The confusion matrix, the mistakes, confidence, robustness")
    w.step_page_action = _action(w, "Step through the &math", lambda: w.show_page(4),
                                 QKeySequence("Ctrl+5"),
                                 "The batch just taken, unit by unit, with its real numbers")
    w.runs_page_action = _action(w, "&Compare runs", lambda: w.show_page(5),
                                 QKeySequence("Ctrl+6"), "Every run kept, listed and compared")
    w.about_action = _action(w, "&About nndesk", w.show_about, None,
                             "Versions of nndesk, Qt, NumPy and more")
    w.about_action.setMenuRole(QAction.MenuRole.AboutRole)
    w.quit_action.setMenuRole(QAction.MenuRole.QuitRole)


def build_menus(w) -> None:
    bar = w.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(w.new_action)
    file_menu.addAction(w.open_action)
    w.recent_menu = file_menu.addMenu("Recent &models")
    w.recent_menu.aboutToShow.connect(lambda: fill_recent_menu(w))
    for group in ((w.save_action, w.save_as_action), (w.import_action, w.export_action),
                  (w.quit_action,)):
        file_menu.addSeparator()
        for action in group:
            file_menu.addAction(action)
    w.file_menu = file_menu
    edit_menu = bar.addMenu("&Edit")
    edit_menu.addAction(w.undo_action)
    edit_menu.addAction(w.redo_action)
    view_menu = bar.addMenu("&View")
    view_menu.addAction(w.train_page_action)
    view_menu.addAction(w.draw_page_action)
    view_menu.addAction(w.inspect_page_action)
    view_menu.addAction(w.evaluate_page_action)
    view_menu.addAction(w.step_page_action)
    view_menu.addAction(w.runs_page_action)
    w.training_menu = bar.addMenu("&Training")
    for action in (w.start_action, w.pause_action, w.stop_action):
        w.training_menu.addAction(action)
    w.training_menu.addSeparator()
    w.training_menu.addAction(w.step_action)
    w.training_menu.addAction(w.step_epoch_action)
    w.training_menu.addSeparator()
    w.training_menu.addAction(w.lr_finder_action)
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(w.shortcuts_action)
    help_menu.addAction(w.about_action)
    fill_recent_menu(w)


def fill_recent_menu(w) -> None:
    menu, files = w.recent_menu, w.files
    menu.clear()
    recent = files.recent_models()
    idle = not w.controller.is_running()
    for i, path in enumerate(recent):
        action = menu.addAction(f"&{i + 1}  {Path(path).name}")
        action.setToolTip(path)
        action.setStatusTip(path)
        action.triggered.connect(lambda _=False, p=path: files.open(p))
        action.setEnabled(idle)
    if recent:
        menu.addSeparator()
        menu.addAction("Clear the list").triggered.connect(files.clear_recent)
    else:
        menu.addAction("No recent models").setEnabled(False)


def shortcut_actions(w) -> list[QAction]:
    return [w.new_action, w.open_action, w.save_action, w.save_as_action, w.import_action,
            w.export_action, w.quit_action, w.undo_action, w.redo_action, w.start_action,
            w.pause_action, w.stop_action, w.step_action, w.step_epoch_action,
            w.shortcuts_action]
