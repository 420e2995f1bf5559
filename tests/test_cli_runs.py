"""``nndesk runs`` and the hints of ``nndesk train``: real processes, a private data folder."""

import json
import os
import subprocess
import sys


def _run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "nndesk", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})


def test_runs_lists_and_compares_what_train_kept(tmp_path):
    env = {"NNDESK_DATA_DIR": str(tmp_path / "data")}

    def run(*args):
        return _run(*args, env=env)

    assert "no runs yet" in run("runs").stdout
    for lr in ("0.1", "0.01"):
        done = run("train", "--preset", "tiny_relu", "--epochs", "1", "--subset", "500",
                   "--lr", lr, "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.splitlines()[-1])["run"]
    listed = [json.loads(line) for line in run("runs", "--json").stdout.splitlines()]
    assert len(listed) == 2 and listed[0]["name"] == "tiny_relu"
    compared = json.loads(run("runs", "compare", "1", "2", "--json").stdout)
    assert compared["differences"] == [{"setting": "optimizer.learning_rate",
                                        "values": [0.1, 0.01]}]
    text = run("runs", "compare", "1", "2").stdout
    assert "optimizer.learning_rate" in text and "test accuracy" in text
    bad = run("runs", "compare", "1", "7")
    assert bad.returncode == 1 and "no run '7'" in bad.stderr


def test_train_prints_each_hint_once_with_its_fix(tmp_path):
    done = _run("train", "--preset", "default", "--lr", "100", "--epochs", "1", "--subset",
                "3000", "--json")
    assert done.returncode == 1
    events = [json.loads(line) for line in done.stdout.splitlines()]
    hints = [e for e in events if e["event"] == "hint"]
    assert hints and len({h["rule"] for h in hints}) == len(hints)
    rate = next(h for h in hints if h["rule"] == "loss_rising")
    assert rate["fix"] == {"optimizer": {"learning_rate": 10.0}}
    assert done.stderr.count("hint: ") == len(hints)
