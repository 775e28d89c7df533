"""Tiketi's benchmark harness: `python -m bench [SCENARIO ...]` (or `make bench`).

It starts throwaway PostgreSQL and Redis servers, runs `tiketi serve` as its own process, sets
events and fans up through the public API, drives load from separate client processes, measures
the machine's ceilings in the same run (redis-benchmark, pgbench, a hello-world on the same
server stack) and writes a Markdown table and a PNG chart under bench/results/.
"""
