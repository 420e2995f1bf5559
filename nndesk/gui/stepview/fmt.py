"""Numbers and small tables as rich text for the step math view (Qt's HTML subset)."""

from __future__ import annotations

import html
import math

import numpy as np

TOP_TERMS = 8  # the largest |w_i a_i| terms written out
MINUS = "\u2212"

STYLE = """
h3 { margin-top: 14px; margin-bottom: 4px; }
p { margin-top: 3px; margin-bottom: 3px; }
table.t { margin-top: 4px; margin-bottom: 4px; }
table.t th { background-color: #e4e8ef; color: #202020; font-weight: 600; padding: 2px 10px; }
table.t td { padding: 2px 10px; }
td.n { font-family: monospace; }
tr.hi td { background-color: #fff3c4; color: #202020; }
.eq { font-family: monospace; }
.note { color: #6b6f76; }
.good { color: #1f7a3a; font-weight: 600; }
.bad { color: #b3261e; font-weight: 600; }
"""


def num(value, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits, a real minus sign and ×10^n exponents."""
    v = float(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return ("" if v > 0 else MINUS) + "∞"
    if v == 0:
        return "0"
    text = f"{v:.{digits}g}"
    mantissa, _, exponent = text.partition("e")
    if exponent:
        text = f"{mantissa}×10<sup>{int(exponent)}</sup>"
    return text.replace("-", MINUS)


def signed(value) -> str:
    """``value`` written as a term of a sum: "+ 0.1" or "− 0.1"."""
    v = float(value)
    return f"{MINUS} {num(-v)}" if v < 0 else f"+ {num(v)}"


def table(headers: list[str], rows: list[list], highlight: int | None = None) -> str:
    """A small table; cells that are numbers are formatted with ``num`` and right-aligned."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = []
    for r, row in enumerate(rows):
        cells = "".join(
            f'<td class="n" align="right" valign="middle">{num(c)}</td>'
            if isinstance(c, (int, float, np.floating, np.integer)) and not isinstance(c, bool)
            else f'<td valign="middle">{c}</td>' for c in row)
        body.append(f'<tr class="hi">{cells}</tr>' if r == highlight else f"<tr>{cells}</tr>")
    return f'<table class="t" cellspacing="0">{"<tr>" + head + "</tr>"}{"".join(body)}</table>'


def top_terms(terms: np.ndarray, k: int = TOP_TERMS) -> np.ndarray:
    """The indices of the ``k`` terms of largest magnitude, largest first (all of them when
    there are hardly more)."""
    order = np.argsort(-np.abs(terms), kind="stable")
    return order if len(order) <= k + 2 else order[:k]


def rest_of(terms: np.ndarray, shown: np.ndarray) -> tuple[int, float, int]:
    """(how many terms are not shown, their sum, how many of those are exactly 0)."""
    rest = np.delete(terms, shown)
    return len(rest), float(rest.astype(np.float64).sum()), int(np.count_nonzero(rest == 0))


def escape(text: str) -> str:
    return html.escape(text)


def message(title: str, body: str) -> str:
    """A page of its own for when there is nothing to show yet: what to do instead."""
    return (f'<div style="margin: 40px;"><h2>{title}</h2>'
            f'<p style="font-size: large;">{body}</p></div>')
