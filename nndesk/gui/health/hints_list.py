"""The hints of a run, newest first, each shown once: what the engine noticed and a button that
applies its fix to the form as one undoable edit (``form.set_spec``), so Ctrl+Z takes it back."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout,
                               QWidget)

from nndesk.engine.hints import apply_fix

from ..widgets import html_text, is_dark

RULE_TITLES = {"loss_rising": "The loss is rising", "not_finite": "The loss is not a number",
               "dead_relus": "Dead ReLU units", "saturated": "Saturated units",
               "overfitting": "Overfitting", "flat_start": "The loss is not moving"}
URGENT = ("loss_rising", "not_finite")
APPLIED = "Applied (Ctrl+Z to undo)"


def rule_title(rule: str) -> str:
    return RULE_TITLES.get(rule, str(rule).replace("_", " ").capitalize())


class WrapButton(QPushButton):
    """A push button whose text wraps onto more lines in a narrow panel."""

    def __init__(self, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 5, 10, 5)
        layout.addWidget(self.label)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt API)
        self.label.setText(text)
        self.updateGeometry()

    def text(self) -> str:
        return self.label.text()


class HintCard(QFrame):
    """One hint: its rule as a title, its message and its fix's button."""

    applyClicked = Signal()

    def __init__(self, hint: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.hint = hint
        self.applied_at: int | None = None  # the undo stack's index after the fix's edit
        self.setObjectName("hintCard")
        self.title = QLabel(f"<b>{html_text(rule_title(hint.get('rule', '')))}</b>")
        self.message = QLabel(hint.get("message", ""))
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 8, 8)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.message)
        self.button = None
        if hint.get("fix"):
            self.button = WrapButton(hint.get("fix_text") or "Apply the fix")
            self.button.setToolTip("Change the form as this says (one step: Ctrl+Z undoes it)")
            self.button.clicked.connect(self.applyClicked)
            layout.addWidget(self.button)
        self.restyle()

    def set_applied(self, text: str | None) -> None:
        """Show the fix as applied (``text`` says how), or ready again with None."""
        if self.button is not None:
            self.button.setText(text or self.hint.get("fix_text") or "Apply the fix")
            self.button.setEnabled(text is None)

    def restyle(self) -> None:
        dark = is_dark(self)
        edge = ("#ff7b72" if dark else "#d64545") if self.hint.get("rule") in URGENT else \
            ("#f0a35e" if dark else "#e8772e")
        self.setStyleSheet(f"#hintCard {{ border: 1px solid palette(mid); border-left: 4px solid "
                           f"{edge}; border-radius: 4px; background: palette(base); }}")


class HintList(QWidget):
    """The run's hints; ``set_form`` gives the form their fixes edit. ``hintAdded``: a hint
    not shown before arrived."""

    hintAdded = Signal(dict)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.form = None
        self.cards: list[HintCard] = []  # newest first
        self._seen: set[tuple] = set()
        self.header = QLabel("<b>Hints</b>")
        self.note = QLabel("A fix edits the form for the next run, as one step: Ctrl+Z "
                           "(Edit ▸ Undo) takes it back.")
        self.empty = QLabel("No hints yet. While a network trains, nndesk watches its loss and "
                            "its layers' health and suggests fixes here.")
        for label in (self.note, self.empty):
            label.setWordWrap(True)
            label.setStyleSheet("color: palette(placeholder-text);")
        content = QWidget()
        self.column = QVBoxLayout(content)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(6)
        self.column.addWidget(self.empty)
        self.column.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidget(content)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(4)
        self.header_row = QHBoxLayout()  # the header, and room for a button beside it
        self.header_row.addWidget(self.header, 1)
        layout.addLayout(self.header_row)
        layout.addWidget(self.note)
        layout.addWidget(self.scroll, 1)
        self._show_count()

    def set_form(self, form) -> None:
        """The ``SpecForm`` the fixes edit (their buttons do nothing without one)."""
        if self.form is not None:
            self.form.undo_stack.indexChanged.disconnect(self._on_undo_index)
        self.form = form
        form.undo_stack.indexChanged.connect(self._on_undo_index)

    def hints(self) -> list[dict]:
        """The hints shown, newest first."""
        return [card.hint for card in self.cards]

    def add_hint(self, hint: dict) -> bool:
        """Show a hint event at the top; False (and nothing shown) when it is shown already."""
        key = (hint.get("rule"), hint.get("message"))
        if key in self._seen:
            return False
        self._seen.add(key)
        card = HintCard(dict(hint))
        card.applyClicked.connect(lambda c=card: self.apply(c))
        self.column.insertWidget(0, card)
        self.cards.insert(0, card)
        self._show_count()
        self.scroll.verticalScrollBar().setValue(0)
        self.hintAdded.emit(card.hint)
        return True

    def clear(self) -> None:
        for card in self.cards:
            card.deleteLater()
        self.cards, self._seen = [], set()
        self._show_count()

    def apply(self, card: HintCard) -> None:
        """Apply ``card``'s fix to the form: ``apply_fix`` on its spec, one undoable edit."""
        if self.form is None or not card.hint.get("fix"):
            return
        before = self.form.spec()
        try:
            after = apply_fix(before, card.hint["fix"])
        except (IndexError, KeyError, TypeError, ValueError):
            card.set_applied("The form's layers changed since: this fix no longer fits")
            return
        if after == before:
            card.set_applied("The form has this already")
            return
        self.form.set_spec(after, self._undo_text(card))
        card.applied_at = self.form.undo_stack.index()
        card.set_applied(APPLIED)

    @staticmethod
    def _undo_text(card: HintCard) -> str:
        return "Hint: " + (card.hint.get("fix_text") or rule_title(card.hint.get("rule", "")))

    def _on_undo_index(self, index: int) -> None:
        """Undo re-arms a fix's button; redo marks it applied again."""
        stack = self.form.undo_stack
        for card in self.cards:
            at = card.applied_at
            if at is None:
                continue
            if index >= at and stack.text(at - 1) == self._undo_text(card):
                card.set_applied(APPLIED)
            elif index < at:
                card.set_applied(None)
            else:
                card.applied_at = None  # its edit was undone and replaced by another

    def _show_count(self) -> None:
        n = len(self.cards)
        self.header.setText(f"<b>Hints</b> ({n})" if n else "<b>Hints</b>")
        self.empty.setVisible(not n)
        self.note.setVisible(bool(n))

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            for card in self.cards:
                card.restyle()
        super().changeEvent(event)
