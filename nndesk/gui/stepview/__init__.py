"""Step mode's page: one recorded training step, unit by unit, with its real numbers."""

from .page import StepPage

__all__ = ["StepPage"]
