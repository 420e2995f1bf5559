"""The page's background jobs: plain functions of ``report`` for :class:`..tasks.Task`.

They only call ``nndesk.workflow`` and hand back plain data; no widget is touched here.
"""

from __future__ import annotations

import threading

from nndesk import workflow
from nndesk.data.distort import LEVELS, UNITS

from ..tasks import JobFailed

ROBUSTNESS_SAMPLES = 2000


class Cancelled(JobFailed):
    """The job was asked to stop (its network changed, or the window closes)."""


def judge_job(net, dataset):
    """A job that judges ``net`` on the test split of ``dataset``."""
    return lambda _report: workflow.judge(net, dataset)


def robustness_job(net, dataset, cancel: threading.Event, samples: int = ROBUSTNESS_SAMPLES):
    """A job that measures every distortion of ``nndesk.data.distort``, one level at a time.

    It reports ``("level", (done, total))`` after each level and ``("kind", result)`` after
    each distortion (the dict ``workflow.robustness`` returns); it returns every result by
    kind, or raises :class:`Cancelled` as soon as ``cancel`` is set.
    """
    def job(report):
        total = sum(len(levels) for levels in LEVELS.values())
        done, results = 0, {}
        for kind, levels in LEVELS.items():
            accuracy, measured = [], 0
            for level in levels:
                if cancel.is_set():
                    raise Cancelled("it was stopped before the end")
                one = workflow.robustness(net, dataset, kind, [level], samples)
                accuracy.extend(one["accuracy"])
                measured = one["samples"]
                done += 1
                report("level", (done, total))
            results[kind] = {"kind": kind, "unit": UNITS[kind], "levels": list(levels),
                             "accuracy": accuracy, "samples": measured}
            report("kind", results[kind])
        return results
    return job
