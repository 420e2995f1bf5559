"""``nndesk runs``: the runs kept in the person's data folder, listed and compared."""

from __future__ import annotations

import json
import sys

from . import CliError


def _metric(record: dict, key: str) -> str:
    value = (record.get("metrics") or {}).get(key)
    return "-" if value is None else f"{value:.2%}"


def runs(args) -> int:
    from ..data.runs import RunStore, differences

    store = RunStore()
    if args.action == "compare":
        if len(args.keys) < 2:
            raise CliError("compare: give two or more runs (their numbers, ids or names)")
        try:
            chosen = [store.get(key) for key in args.keys]
        except KeyError as exc:
            raise CliError(exc.args[0])
        rows = differences([r["spec"] for r in chosen])
        if args.json:
            print(json.dumps({"runs": [{k: r[k] for k in ("id", "name", "date", "metrics",
                                                           "seconds", "dataset")} for r in chosen],
                              "differences": [{"setting": k, "values": v} for k, v in rows]}))
            return 0
        names = [r["name"] for r in chosen]
        width = max(12, *(len(k) for k, _ in rows)) if rows else 12
        cell = max(14, *(len(n) + 2 for n in names))
        print(" " * width + "".join(f"{n:>{cell}}" for n in names))
        print("settings that differ" if rows else "the settings are the same")
        for key, values in rows:
            print(f"{key:<{width}}" + "".join(f"{json.dumps(v):>{cell}}" for v in values))
        print("results")
        for label, fn in (("test accuracy", lambda r: _metric(r, "test_accuracy")),
                          ("val accuracy", lambda r: _metric(r, "val_accuracy")),
                          ("epochs", lambda r: str(len((r.get("history") or {}).get("epoch", [])))),
                          ("seconds", lambda r: f"{r.get('seconds', 0):.1f}")):
            print(f"{label:<{width}}" + "".join(f"{fn(r):>{cell}}" for r in chosen))
        return 0
    records = store.runs()
    for problem in store.problems:
        print(f"nndesk runs: warning: {problem}", file=sys.stderr)
    if args.json:
        for record in records:
            print(json.dumps({k: record[k] for k in ("id", "name", "date", "dataset", "reason",
                                                      "metrics", "seconds")}))
        return 0
    if not records:
        print(f"no runs yet: every `nndesk train` and every run in the window is kept in "
              f"{store.folder}")
        return 0
    width = max(len(r["name"]) for r in records)
    for i, r in enumerate(records, 1):
        print(f"{i:>3}  {r['name']:<{width}}  {r['date']}  {_metric(r, 'test_accuracy'):>7}  "
              f"{r.get('seconds', 0):7.1f} s  {r['dataset']}  {r['id']}")
    return 0
