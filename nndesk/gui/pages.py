"""The window's pages: the builder, dashboard and inside views side by side on the first,
then the drawing pad, the inspector, the test set judged, the step-through math and the runs
compared."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QTabWidget

from .dashboard import TrainingDashboard
from .evaluation import EvaluationPage
from .inspect_tabs import InspectTabs
from .inspector import InspectorPage
from .pad import PadPanel
from .runs import RunsPage
from .spec_form import SpecForm
from .stepview import StepPage


def build(w) -> None:
    """Make the window's pages and set them on ``w`` (form, dashboard, pad, inspect_tabs, ...)."""
    w.form = SpecForm()
    w.form.setObjectName("specForm")
    w.form.setMinimumWidth(380)
    w.dashboard = TrainingDashboard()
    w.dashboard.setMinimumWidth(360)
    w.pad = PadPanel()
    w.pad.setObjectName("drawingPad")
    w.inspect_tabs = InspectTabs(w.session, w.pad)
    w.tiles = w.inspect_tabs.tiles
    w.layers_view = w.inspect_tabs.layers_view
    w.feature_maps = w.inspect_tabs.feature_maps
    w.splitter = QSplitter(Qt.Orientation.Horizontal)
    w.splitter.setObjectName("mainSplitter")
    w.splitter.setChildrenCollapsible(False)
    for i, widget in enumerate((w.form, w.dashboard, w.inspect_tabs)):
        w.splitter.addWidget(widget)
        w.splitter.setStretchFactor(i, 1 if i == 1 else 0)
    w.splitter.setSizes([510, 500, 356])
    w.pages = QTabWidget()
    w.pages.setObjectName("pages")
    w.pages.setDocumentMode(True)
    w.inspector = InspectorPage(w.session, w.pad)
    w.inspector.setObjectName("inspector")
    w.evaluation = EvaluationPage(w.session)
    w.evaluation.setObjectName("evaluation")
    w.step_page = StepPage(w.session)
    w.step_page.setObjectName("stepPage")
    w.runs_page = RunsPage(w.session)
    w.runs_page.setObjectName("runsPage")
    for widget, title, tip in (
            (w.splitter, "Build && train",
             "Build a network, train it and watch it learn (Ctrl+1)"),
            (w.pad, "Draw a digit", "Draw a digit and see what the network thinks (Ctrl+2)"),
            (w.inspector, "Look inside",
             "Every layer's response to one digit, and where its evidence is (Ctrl+3)"),
            (w.evaluation, "Judge the test set",
             "Accuracy, the confusion matrix, the mistakes, confidence and robustness "
             "(Ctrl+4)"),
            (w.step_page, "Step through the math",
             "The batch just taken, unit by unit: forward, loss, backward and update with "
             "their real numbers (Ctrl+5)"),
            (w.runs_page, "Compare runs",
             "Every run kept, compared: curves overlaid, the settings that differ (Ctrl+6)")):
        w.pages.setTabToolTip(w.pages.addTab(widget, title), tip)
    w.setCentralWidget(w.pages)
