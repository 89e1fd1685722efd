"""Benchmarks anyone can run (`make bench`, `make bench-backfill`): synthetic cities at three
scales, the pipeline's steps timed against a bare-pandas floor in the same run."""
