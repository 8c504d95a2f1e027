"""The product code type-checks: mypy over citegraph/ with graph/, ingest/, ontology/,
search/ and webapp/ as they install (tools/typecheck.py; the settings are pyproject.toml's
[tool.mypy]). Its cache in build/typecheck/ makes a second run check only what changed."""
from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_the_product_code_type_checks():
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "typecheck.py")],
                          capture_output=True, text=True, timeout=900)
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert proc.returncode == 0 and not errors, "\n".join(errors) or proc.stdout + proc.stderr
