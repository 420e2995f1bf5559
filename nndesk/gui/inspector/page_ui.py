"""The Inspector page's widgets and layout: the input chooser and verdict on top, then the
layers (scrolling) beside the class evidence and the details, or a message instead."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFrame, QGroupBox, QHBoxLayout, QLabel, QScrollArea, QSplitter,
                               QStackedWidget, QVBoxLayout, QWidget)

from .details import DetailsPanel
from .evidence_panel import EvidencePanel
from .inputs import InputChooser


def scroll_area(widget: QWidget) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(widget)
    return scroll


def build(page: QWidget) -> None:
    """Give ``page`` its ``chooser``, ``verdict``, ``message_label``, ``body`` (and
    ``body_layout``, for the rows) in ``scroll``, ``evidence_panel`` and ``details`` in
    ``side``, the ``splitter`` between them, and the ``stack`` of message and splitter."""
    page.chooser = InputChooser()
    page.verdict = QLabel()
    page.verdict.setTextFormat(Qt.TextFormat.RichText)
    page.message_label = QLabel()
    page.message_label.setObjectName("inspectorMessage")
    page.message_label.setWordWrap(True)
    page.message_label.setTextFormat(Qt.TextFormat.RichText)
    page.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    page.message_label.setContentsMargins(48, 0, 48, 0)
    page.body = QWidget()
    page.body_layout = QVBoxLayout(page.body)
    page.body_layout.setContentsMargins(4, 4, 4, 4)
    page.body_layout.setSpacing(14)
    page.body_layout.addStretch(1)
    page.scroll = scroll_area(page.body)
    page.evidence_panel = EvidencePanel()
    page.details = DetailsPanel()
    side = QWidget()
    side_layout = QVBoxLayout(side)
    side_layout.setContentsMargins(4, 0, 4, 4)
    for title, panel in (("Class evidence", page.evidence_panel), ("Details", page.details)):
        box = QGroupBox(title)
        QVBoxLayout(box).addWidget(panel)
        side_layout.addWidget(box)
    side_layout.addStretch(1)
    page.side = scroll_area(side)
    page.side.setMinimumWidth(360)
    page.side.setMaximumWidth(540)
    page.splitter = QSplitter(Qt.Orientation.Horizontal)
    page.splitter.addWidget(page.scroll)
    page.splitter.addWidget(page.side)
    page.splitter.setStretchFactor(0, 3)
    page.splitter.setStretchFactor(1, 2)
    page.splitter.setChildrenCollapsible(False)
    page.splitter.setSizes([900, 440])
    page.stack = QStackedWidget()
    page.stack.addWidget(page.message_label)
    page.stack.addWidget(page.splitter)
    top = QHBoxLayout()
    top.addWidget(page.chooser)
    top.addStretch(1)
    layout = QVBoxLayout(page)
    layout.setContentsMargins(8, 8, 8, 8)
    layout.setSpacing(8)
    layout.addLayout(top)
    layout.addWidget(page.verdict)
    layout.addWidget(page.stack, 1)
