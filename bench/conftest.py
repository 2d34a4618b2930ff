"""Benchmarks: run with `pytest bench --benchmark-only` (never part of the test run).

Each group puts fastshear beside the anchor it replaces in one run, so that ratios survive this
noisy machine. Thread counts are explicit in every benchmark name.
"""

import pytest


def pytest_collection_modifyitems(config, items):
    if not config.getoption("benchmark_only", default=False):
        skip = pytest.mark.skip(reason="benchmarks run with --benchmark-only")
        for item in items:
            item.add_marker(skip)
