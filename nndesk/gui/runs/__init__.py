"""The Compare runs page: the runs kept in the data folder listed, renamed, deleted and
exported, and compared (curves overlaid, optionally grouped by seed; the settings that differ;
the results side by side), with PNG and CSV exports."""

from .page import RunsPage

__all__ = ["RunsPage"]
