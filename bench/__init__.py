"""Benchmarks against peer tools: `make bench` runs every bench_*.py module here."""
