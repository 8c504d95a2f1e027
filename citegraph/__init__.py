"""Citegraph: command line and configuration.

Thread counts are set before numpy or torch load: numpy's BLAS threads fighting torch's on a
small machine multiply query latency, and exact top-k is a single matrix-vector product."""
import os

for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY"):
    os.environ.setdefault(_var, "PASSIVE" if _var == "OMP_WAIT_POLICY" else "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__version__ = "0.1.0"
