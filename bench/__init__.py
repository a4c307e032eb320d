"""Benchmarks: run with `make bench`; each writes its section of BENCHMARKS.md."""
