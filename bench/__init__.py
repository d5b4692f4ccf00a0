"""Benchmarks (`make bench`); each module runs as a script."""
