"""Type-check the product code with mypy, as it installs: citegraph/ with graph/, ingest/,
ontology/, search/ and webapp/ inside it (pyproject.toml's package-dir), which mypy cannot
map from the folders themselves. A tree of symlinks in build/typecheck/ gives it that layout
(kept between runs, with mypy's cache beside it, so a second run checks only what changed).

    python tools/typecheck.py          # exit 0 when clean; errors name the repository files
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TREE = REPO / "build" / "typecheck"
PACKAGES = ("graph", "ingest", "ontology", "search", "webapp")  # citegraph.<name> is <name>/


def build_tree() -> Path:
    """build/typecheck/citegraph/: a link to every entry of citegraph/ and to each folder
    of PACKAGES; links are made again each run, so added or removed files are seen."""
    root = TREE / "citegraph"
    root.mkdir(parents=True, exist_ok=True)
    for old in root.iterdir():
        if old.is_symlink():
            old.unlink()
    for entry in (REPO / "citegraph").iterdir():
        if entry.name != "__pycache__":
            (root / entry.name).symlink_to(entry)
    for name in PACKAGES:
        (root / name).symlink_to(REPO / name, target_is_directory=True)
    return root


def main(argv: list[str]) -> int:
    build_tree()
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
         "--cache-dir", str(TREE / ".mypy_cache"), "-p", "citegraph", *argv],
        cwd=TREE, capture_output=True, text=True)
    for line in (proc.stdout + proc.stderr).splitlines():
        print(_repository_path(line))
    return proc.returncode


def _repository_path(line: str) -> str:
    """citegraph/graph/base.py:3: ... → graph/base.py:3: ... (the file as it is in the
    repository, so that an editor can open it)."""
    for name in PACKAGES:
        prefix = f"citegraph/{name}/"
        if line.startswith(prefix):
            return line[len("citegraph/"):]
    return line


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
