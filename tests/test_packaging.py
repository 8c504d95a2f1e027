"""`pip install .` into a fresh virtual environment gives a working `citegraph`, with every
package of ours under the `citegraph.` namespace and the dependencies declared.

The fresh environment sees the test environment's third-party packages through a .pth file
(torch and its kin are gigabytes; pip's cache does not keep them here), so pip resolves the
declared dependencies against them and installs only Citegraph itself, from a build of the
source tree. It runs outside the checkout, so nothing is imported from the repository."""
from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow
OURS = ("graph", "ingest", "ontology", "search", "webapp")


def run(argv, cwd, **kwargs):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEGRAPH_")}
    env.update(HF_HUB_OFFLINE="1", CITEGRAPH_THREADS="1", PYTHONPATH="")
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=600, **kwargs)
    assert proc.returncode == 0, f"{argv}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("fresh-venv")
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                       cwd=root).stdout.strip())
    ours = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (purelib / "test-environment-packages.pth").write_text("\n".join(ours) + "\n")
    # the build backend too comes from the test environment (a current setuptools)
    run([str(python), "-m", "pip", "uninstall", "--quiet", "--yes", "setuptools"], cwd=root)
    # a copy of the tree, so the build writes nothing into the checkout
    source = root / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "citegraph-data", "*.egg-info", "build", ".neo4j*"))
    run([str(python), "-m", "pip", "install", "--quiet", "--no-build-isolation", str(source)],
        cwd=root)
    return env_dir, purelib, root


def test_installed_layout_has_one_namespace(installed):
    _env, purelib, _root = installed
    assert (purelib / "citegraph" / "graph" / "sqlite_store.py").is_file()
    assert (purelib / "citegraph" / "ontology" / "cx.ttl").is_file()
    assert (purelib / "citegraph" / "webapp" / "templates" / "search.html").is_file()
    assert not [name for name in OURS if (purelib / name).exists()]


def test_installed_command_answers_a_question(installed):
    env_dir, purelib, root = installed
    citegraph = env_dir / "bin" / "citegraph"
    version = run([str(citegraph), "--version"], cwd=root).stdout
    assert version.strip().startswith("citegraph, version ")
    store = root / "store"
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "crm.md").write_text(
        "# Who owns the CRM\n\nThe chief customer officer owns the CRM programme and the "
        "customer analytics team that reports on churn every month.\n", encoding="utf-8")
    run([str(citegraph), "ingest", str(corpus), "--store", str(store)], cwd=root)
    out = json.loads(run([str(citegraph), "ask", "Who owns the CRM programme?", "--store",
                          str(store), "--json"], cwd=root).stdout)
    assert out["results"][0]["article_id"].startswith("crm")
    where = run([str(env_dir / "bin" / "python"), "-c",
                 "import citegraph.graph.sqlite_store as m; print(m.__file__)"], cwd=root).stdout
    assert where.strip().startswith(str(purelib))


def test_every_pinned_requirement_is_declared():
    """The .pth above would hide a dependency pyproject.toml forgot: requirements.txt (what
    the tests run with) and the declared dependencies name the same packages."""
    import tomllib

    from packaging.requirements import Requirement

    declared = {Requirement(r).name.lower() for r in
                tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]}
    pinned = set()
    for name in ("requirements.txt", "requirements-model.txt"):
        for line in (REPO / name).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                pinned.add(Requirement(line).name.lower())
    assert pinned == declared


def test_a_wheel_of_a_clone_carries_the_pages_libraries(tmp_path):
    """`pip install .` of a clone (no `make setup`): the build step fetches the front-end
    libraries from npm, so the wheel's concept and API docs pages are whole; setuptools
    warns about nothing of our packaging."""
    import zipfile

    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                             check=True).stdout.decode().split("\0")
    clone = tmp_path / "clone"
    for name in filter(None, tracked):
        if (REPO / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, clone / name)
    assert not (clone / "webapp" / "static" / "vendor" / "cytoscape.min.js").exists()
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                 "-v", "-w", str(tmp_path / "dist"), str(clone)], cwd=tmp_path)
    log = built.stdout + built.stderr
    assert "would be ignored" not in log and "absent from setuptools" not in log
    wheel, = (tmp_path / "dist").glob("citegraph-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("vendor/cytoscape.min.js", "vendor/swagger-ui-bundle.js",
                    "vendor/swagger-ui.css", "explorer.js", "api-docs.js", "app.css"):
        assert f"citegraph/webapp/static/{shipped}" in names, shipped
    assert "citegraph/webapp/templates/api_docs.html" in names
