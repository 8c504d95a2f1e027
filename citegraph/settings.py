"""The one settings object, read once at the edge (CLI, server, benchmarks) and passed down.

Sources, later ones winning: the defaults below, a TOML config file (`--config FILE` or
`CITEGRAPH_CONFIG`; keys are the field names, at the top level or under `[citegraph]`), the
environment (`CITEGRAPH_<FIELD>`, and `NEO4J_USER` / `NEO4J_PASSWORD` / `NEO4J_DATABASE`), then
command-line options. Nothing below the entry points reads the environment: libraries take
the values they need as arguments. `settings_table()` renders the README's table from the
fields, so the documentation cannot drift from the code.
"""
from __future__ import annotations

import math
import os
import re
import stat
import sys
import tomllib
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping, Optional

from citegraph.errors import SettingsError

CONFIG_ENV = "CITEGRAPH_CONFIG"
DEFAULT_STORE = "./citegraph-data"
PRECISIONS = ("auto", "fp32", "bf16")
BACKENDS = ("auto", "torch", "openvino")
ANN_PRECISIONS = ("i8", "f16")  # graph/vectors/hnsw.py PRECISIONS
MAX_THREADS = 1024  # threads and server_threads: more is a typo, and would crash the start
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_NEO4J_SCHEME = re.compile(r"(?:bolt|neo4j)(?:\+s|\+ssc)?")  # graph/uri.py's NEO4J_SCHEMES


def _setting(default, env: str, doc: str, kind: type = str):
    return field(default=default, metadata={"env": env, "doc": doc, "kind": kind})


@dataclass(frozen=True)
class Settings:
    store: str = _setting(DEFAULT_STORE, "CITEGRAPH_STORE",
                          "Store: a directory (embedded SQLite) or a `bolt://` / `neo4j://` URI.")
    ontology: Optional[str] = _setting(None, "CITEGRAPH_ONTOLOGY",
                                       "A SKOS scheme file (Turtle, RDF/XML, JSON-LD); "
                                       "unset: the shipped `ontology/cx.ttl`.")
    precision: str = _setting("auto", "CITEGRAPH_PRECISION",
                              "Model precision: `auto` (bf16 where the CPU has native bf16, "
                              "else fp32), `fp32` or `bf16`.")
    backend: str = _setting("auto", "CITEGRAPH_BACKEND",
                            "Model runtime: `auto` (OpenVINO where it is installed and the CPU "
                            "suits it, else PyTorch), `torch` (sentence-transformers as is) or "
                            "`openvino` (the packaged weights converted once, kept in "
                            "`model_cache`).")
    model_cache: Optional[str] = _setting(None, "CITEGRAPH_MODEL_CACHE",
                                          "Folder for the converted model, shared by every "
                                          "store of the user; unset: `~/.cache/citegraph`.")
    threads: int = _setting(0, "CITEGRAPH_THREADS",
                            "Inference threads for the model; 0: the runtime's choice (OpenVINO: "
                            "one per stream for ingest batches, every core for a query).", int)
    title_context: bool = _setting(False, "CITEGRAPH_TITLE_CONTEXT",
                                   "Embed each passage after its article's title.", bool)
    ann_threshold: int = _setting(50_000, "CITEGRAPH_ANN_THRESHOLD",
                                  "Vectors above which an HNSW index may replace exact "
                                  "search (only at measured recall@10 >= 0.95); 0: always "
                                  "exact.", int)
    ann_precision: str = _setting("i8", "CITEGRAPH_ANN_PRECISION",
                                  "Vectors in the HNSW index: `i8` (int8, half of float16; "
                                  "each search's top candidates rescored with their stored "
                                  "float32 vectors; SciFact nDCG@10 as exact) or `f16` "
                                  "(float16, no rescoring). A change rebuilds the cached "
                                  "index once.")
    abstain_below: float = _setting(0.5, "CITEGRAPH_ABSTAIN_BELOW",
                                    "Answer confidence (the best sentence's dense plus "
                                    "lexical match to the question) under which an answer "
                                    "abstains: no quote, `abstained` true; calibrated by "
                                    "benchmarks/answers.py and answer_qa.py: 1 % of public "
                                    "QA questions lie below it, 0.4 % of off-topic ones "
                                    "(highest 0.57) above it.", float)
    ingest_wait: Optional[float] = _setting(None, "CITEGRAPH_INGEST_WAIT",
                                            "Seconds a second ingest waits for the store's "
                                            "lock; unset: wait as long as it takes; 0: "
                                            "refuse at once.", float)
    base_iri: Optional[str] = _setting(None, "CITEGRAPH_BASE_IRI",
                                       "Base IRI under which RDF export mints article and "
                                       "passage IRIs; unset: the store's own, "
                                       "`https://citegraph.invalid/<random id>/`, made on "
                                       "its first export and kept (an import keeps its "
                                       "file's).")
    fetch_delay: float = _setting(1.0, "CITEGRAPH_FETCH_DELAY",
                                  "Seconds between two requests to one host when ingesting "
                                  "URLs (a robots.txt Crawl-delay may ask for more).", float)
    fetch_timeout: float = _setting(20.0, "CITEGRAPH_FETCH_TIMEOUT",
                                    "Seconds one fetched page may take, headers to last "
                                    "byte.", float)
    fetch_max_bytes: int = _setting(20 * 1024 * 1024, "CITEGRAPH_FETCH_MAX_BYTES",
                                    "Bytes one fetched page may hold, after decompression.",
                                    int)
    fetch_user_agent: str = _setting("Citegraph/0.1 (article ingest; obeys robots.txt)",
                                     "CITEGRAPH_FETCH_USER_AGENT",
                                     "User-Agent sent when fetching URLs (and matched "
                                     "against robots.txt).")
    fetch_allow_private: bool = _setting(False, "CITEGRAPH_FETCH_ALLOW_PRIVATE",
                                         "Let a fetch reach loopback or private addresses "
                                         "that the URLs given did not name (through a "
                                         "redirect, a feed entry or a DNS name); off: "
                                         "refused.", bool)
    token: str = _setting("", "CITEGRAPH_TOKEN",
                          "Bearer token for writes over HTTP; empty: writes are refused.")
    server_threads: int = _setting(4, "CITEGRAPH_SERVER_THREADS",
                                   "Worker threads of the web server.", int)
    write_wait: float = _setting(20.0, "CITEGRAPH_WRITE_WAIT",
                                 "Seconds a write over HTTP waits for the write before it "
                                 "(the server writes one at a time; a crawl takes a turn a "
                                 "batch); then it is answered `503` with `Retry-After` (a "
                                 "crawl's batch: one failure line a page), so that no "
                                 "request waits unbounded behind a slow or failing store.",
                                 float)
    neo4j_user: str = _setting("neo4j", "NEO4J_USER", "Neo4j user name.")
    neo4j_password: Optional[str] = _setting(None, "NEO4J_PASSWORD",
                                             "Neo4j password; unset: no authentication.")
    neo4j_database: Optional[str] = _setting(None, "NEO4J_DATABASE",
                                             "Neo4j database; unset: the server's default.")

    def but(self, **changes) -> "Settings":
        """A copy with `changes` applied where they are not None (command-line options)."""
        given = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **_checked(given, "option")) if given else self


def _convert(name: str, kind: type, value: Any, where: str):
    if value is None:
        return None
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError
        if kind is int:
            if isinstance(value, bool):
                raise ValueError
            return int(str(value).strip())
        if kind is float:
            if isinstance(value, bool):
                raise ValueError
            return float(str(value).strip())
        if not isinstance(value, str):
            raise ValueError
        return value
    except ValueError:
        raise SettingsError(f"{where}: {name} = {value!r} is not a valid "
                            f"{'boolean' if kind is bool else kind.__name__}") from None


def _checked(values: Mapping[str, Any], where: str) -> dict:
    kinds = {f.name: f.metadata["kind"] for f in fields(Settings)}
    out = {}
    for name, value in values.items():
        if name not in kinds:
            raise SettingsError(f"{where}: unknown setting {name!r} "
                                f"(known: {', '.join(kinds)})")
        where_name = f"{where} {_env_name(name)}" if where == "environment" else where
        out[name] = _convert(name, kinds[name], value, where_name)
    for name, choices in (("precision", PRECISIONS), ("backend", BACKENDS),
                          ("ann_precision", ANN_PRECISIONS)):
        value = out.get(name)
        if value is None:
            continue
        if value.lower() not in choices:
            raise SettingsError(f"{where}: {name} = {value!r} is not one of "
                                f"{', '.join(choices)}")
        out[name] = value.lower()
    for name in ("fetch_delay", "fetch_timeout", "fetch_max_bytes"):
        if out.get(name) is not None and out[name] < 0:
            raise SettingsError(f"{where}: {name} = {out[name]} must not be negative")
    for name in ("threads", "ann_threshold", "server_threads"):
        if out.get(name) is not None and out[name] < 0:
            raise SettingsError(f"{where}: {name} = {out[name]} must not be negative")
    for name in ("threads", "server_threads"):
        if out.get(name) is not None and out[name] > MAX_THREADS:
            raise SettingsError(f"{where}: {name} = {out[name]} is over {MAX_THREADS}")
    for name in ("abstain_below", "ingest_wait", "write_wait"):
        value = out.get(name)
        if value is not None and (math.isnan(value) or (name != "ingest_wait"
                                                        and math.isinf(value))):
            raise SettingsError(f"{where}: {name} = {value!r} is not a finite number")
    if out.get("write_wait") is not None and out["write_wait"] < 0:
        raise SettingsError(f"{where}: write_wait = {out['write_wait']} must not be negative")
    if out.get("ingest_wait") is not None:
        out["ingest_wait"] = max(0.0, out["ingest_wait"])
    if out.get("server_threads") == 0:
        raise SettingsError(f"{where}: server_threads must be at least 1")
    store = out.get("store")
    if store is not None:
        if not store.strip():
            raise SettingsError(f"{where}: store is empty (a directory or a bolt:// or "
                                "neo4j:// URI)")
        scheme = _URL_SCHEME.match(store)
        if scheme and not _NEO4J_SCHEME.fullmatch(scheme.group(1)):
            raise SettingsError(f"{where}: store = {store[:80]!r}: a {scheme.group(1)}:// URL "
                                "is no store (a directory, or a bolt:// or neo4j:// URI)")
    return out


def _env_name(name: str) -> str:
    return next(f.metadata["env"] for f in fields(Settings) if f.name == name)


def _from_environment(env: Mapping[str, str]) -> dict:
    values = {}
    for f in fields(Settings):
        raw = env.get(f.metadata["env"])
        # an empty variable counts as unset, except where empty is a value of its own
        if raw is None or (raw.strip() == "" and f.name not in ("token", "neo4j_password")):
            continue
        values[f.name] = raw
    return values


def _from_file(path: str) -> dict:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise SettingsError(f"config {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"config {path}: {exc}") from None
    section = data.get("citegraph", data)
    if not isinstance(section, dict):
        raise SettingsError(f"config {path}: [citegraph] must be a table")
    beside = [k for k in data if k != "citegraph"] if "citegraph" in data else []
    if beside:
        raise SettingsError(f"config {path}: {', '.join(beside)} beside [citegraph] would be "
                            "ignored: put every setting under [citegraph] (or none)")
    if section.get("token"):
        _warn_if_readable(path)
    return {k: v for k, v in section.items() if k != "citegraph"}


def _warn_if_readable(path: str) -> None:
    """A token in a file others can read is a token others have: say so (it still works)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        print(f"citegraph: warning: config {path} holds a token and is readable by "
              f"{'others' if mode & stat.S_IROTH else 'its group'}: chmod 600 {path}",
              file=sys.stderr)


def load_settings(config_file: Optional[str] = None,
                  environ: Optional[Mapping[str, str]] = None, **options) -> Settings:
    """Settings from defaults, the config file, the environment and `options` (None: not
    given). Raises SettingsError, naming the source and the setting, on a bad value."""
    env = os.environ if environ is None else environ
    config_file = config_file or env.get(CONFIG_ENV) or None
    values: dict = {}
    if config_file:
        values.update(_checked(_from_file(config_file), f"config {config_file}"))
    values.update(_checked(_from_environment(env), "environment"))
    return Settings(**values).but(**options)


def settings_table() -> str:
    """The Markdown table of every setting, for the README."""
    rows = ["| setting (TOML key) | environment | default | meaning |", "|---|---|---|---|"]
    for f in fields(Settings):
        default = "unset" if f.default is None else f"`{f.default}`"
        rows.append(f"| `{f.name}` | `{f.metadata['env']}` | {default} | {f.metadata['doc']} |")
    return "\n".join(rows)


def prepare_process() -> None:
    """What an entry point sets in its own process before numpy or torch load.

    The model comes from a package on disk, never from a hub. The model's own libraries keep
    their threads (MKL_NUM_THREADS=1, which PyTorch's BLAS reads, halved its inference).
    numpy's OpenBLAS runs on one thread: its worker threads spin after every product, and in
    the server, where queries come every few milliseconds, one never slept and took a whole
    core from the model (17 ms of CPU per 17 ms query on 2 cores); limiting it around the
    exact product alone did not stop that, since other numpy calls woke it. The exact
    product splits itself over threads of ours instead (graph/vectors/exact.py).
    OMP_WAIT_POLICY=PASSIVE keeps idle OpenMP threads from spinning in the same way."""
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                        ("TOKENIZERS_PARALLELISM", "false"), ("OMP_WAIT_POLICY", "PASSIVE"),
                        ("OPENBLAS_NUM_THREADS", "1")):
        os.environ.setdefault(name, value)
    # usearch's extension carries a static C++ runtime whose unique symbols, when it loads
    # before the shared one, shadow libstdc++'s: OpenVINO then cannot parse a model file.
    # Loading the shared runtime first, globally, keeps one set (torch happened to do it).
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libstdc++.so.6", mode=ctypes.RTLD_GLOBAL)
        except OSError:
            pass
