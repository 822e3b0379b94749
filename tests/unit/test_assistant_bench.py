"""The arithmetic of the assistant's load bench (launchpad.assistant.bench_api): percentiles, the tally of
answers, and the open-loop pacing (requests leave at their times, not after the earlier ones end)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from launchpad.assistant.bench_api import paced, percentiles, tally
from launchpad.assistant.client import Reply


def test_percentiles_of_one_to_a_hundred() -> None:
    got = percentiles([float(v) for v in range(1, 101)])
    assert got == {"p50": 50.5, "p95": pytest.approx(95.05), "p99": pytest.approx(99.01)}


def test_one_sample_is_every_percentile_and_none_is_refused() -> None:
    assert percentiles([7.0]) == {"p50": 7.0, "p95": 7.0, "p99": 7.0}
    with pytest.raises(ValueError, match="no samples"):
        percentiles([])


def test_tally_counts_throttles_apart_from_errors() -> None:
    replies = [Reply(s, {}, 0.0) for s in (200, 200, 429, 502, 403, 429)]
    assert tally(replies) == {"sent": 6, "throttled": 2, "errors": 2}


def test_paced_requests_leave_while_earlier_ones_still_run() -> None:
    """Open loop: 40 a second for 0.25 s is 10 requests, and each waits until all 10 are in flight, which
    only happens if none waits for an earlier one to end (a closed loop breaks the barrier)."""
    everyone = threading.Barrier(10, timeout=30)

    def send(i: int) -> Reply:
        everyone.wait()
        return Reply(200, {"i": i}, 0.0)

    with ThreadPoolExecutor(max_workers=16) as pool:
        replies = paced(40.0, 0.25, send, pool)
    assert [r.body["i"] for r in replies] == list(range(10))
