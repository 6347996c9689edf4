"""The command-line shell over ``producer.workflows``."""

import os

# One OpenBLAS thread, set before numpy loads it: producer runs its own threads (the mix
# engine, the meter's channels), BLAS gains nothing on their small products, and OpenBLAS's
# idle workers spin after start-up and after every call (measured: 4-5% of a `producer mix`).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from producer.cli.app import cli, main

__all__ = ["cli", "main"]
