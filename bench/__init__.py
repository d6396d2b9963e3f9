"""Benchmarks that run Backline's hot paths side by side with a baseline, in one run.

`make bench` (or `python -m bench`) runs each benchmark module and writes docs/benchmarks.md:
ratios against the baseline measured on the same machine at the same time, with the absolute
figures for context. Benchmarks send traffic to 127.0.0.1 only.
"""
