"""Server start-up: seconds from launching `citegraph serve` to /healthz answering, and to the
first search answered (model loaded, vector index loaded or built), plus the server's peak RSS.
Run twice on a store above the HNSW threshold to see the first build and the cached load.

    python benchmarks/startup.py --store /tmp/cg-bench/syn100k
"""
from __future__ import annotations

import argparse
import json

from _common import Server, figure, http_get


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--threads", type=int, default=0, help="inference threads; 0: the server's own")
    args = ap.parse_args()
    with Server(args.store, threads=args.threads) as server:
        passages = json.loads(http_get(server.url + "/healthz")[1])["passages"]
        rss = server.peak_rss_mib()
    figure("passages", passages)
    figure("ready_s", server.ready_s, "s")
    figure("first_search_s", server.first_search_s, "s")
    figure("server_peak_rss", rss, "MiB")


if __name__ == "__main__":
    main()
