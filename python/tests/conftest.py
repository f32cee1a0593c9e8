"""Shared fixtures: a synthetic population indexed by the real `skiptrace` binary, and the
CLI's own re-match of its returned-mail file to compare against.

The binary is SKIPTRACE_BIN, else target/release/skiptrace (scripts/test.sh builds it first).
"""

from __future__ import annotations

import csv
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def skiptrace_bin() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("SKIPTRACE_BIN", REPO / "target/release/skiptrace"))
    if not path.exists():
        pytest.fail(f"{path} is missing: build it with `cargo build --release` first")
    return path


@pytest.fixture(scope="session")
def population(tmp_path_factory, skiptrace_bin) -> pathlib.Path:
    """`skiptrace synth` output (about 24,000 records, 480 returned-mail rows) and its index."""
    root = tmp_path_factory.mktemp("population")
    run(skiptrace_bin, "synth", "--people", "6000", "--seed", "11", "--out", str(root))
    run(skiptrace_bin, "index", "--index", str(root / "idx"), str(root / "records.csv"))
    return root


@pytest.fixture(scope="session")
def cli_rematch(skiptrace_bin, population, tmp_path_factory):
    """Runs `skiptrace rematch` on a file and returns its rows (header first)."""
    out_dir = tmp_path_factory.mktemp("cli")

    def rematch(path: pathlib.Path, *flags: str) -> list:
        out = out_dir / f"{path.stem}-{len(list(out_dir.iterdir()))}.csv"
        run(skiptrace_bin, "rematch", "--index", str(population / "idx"), "--out", str(out),
            *flags, str(path), check_user_errors=False)
        with open(out, newline="", encoding="utf-8") as f:
            return list(csv.reader(f))

    return rematch


def run(binary, *args, check_user_errors=True):
    done = subprocess.run([str(binary), "-q", *args], capture_output=True, text=True)
    if done.returncode != 0 and (check_user_errors or done.returncode != 2):
        raise AssertionError(f"skiptrace {' '.join(args)} failed: {done.stderr}")
    return done


def read_csv(path: pathlib.Path) -> list:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))
