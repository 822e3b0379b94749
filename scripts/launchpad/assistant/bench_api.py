"""The assistant's API under load, on loopback (for ``launchpad bench``: ``assistant/api-load``).

In a fresh sandbox account the demo's assistant steps apply the ``modules/inference-api`` example and serve
its endpoint with the extractive stand-in (``launchpad.demo.assistant``). Then, all from this process:

1. **Direct**: ``DIRECT_REQUESTS`` ``InvokeEndpoint`` calls with the request the function would send (the
   same passages), one after another: the model's own path, the baseline.
2. **Fixed rate**: the web client's questions through API Gateway (the Cognito authorizer, the API key and
   its usage plan, validation, the function: retrieval, the endpoint, the query log) at ``FIXED_RATE``
   requests a second for ``FIXED_SECONDS`` seconds, open loop (each request leaves at its time, whatever
   the earlier ones are doing), from a pool of ``WORKERS`` threads.
3. **Steps**: ``STEP_SECONDS`` at each rate of ``STEP_RATES`` until the gateway answers 429: the usage
   plan's rate (the example's ``web`` client: 20 a second, bursts of 40) being passed.

Reported: p50, p95 and p99 ms of the API path (fixed rate) and of the direct path, and their ratio; the
error rate (answers other than 200 and 429); per step the requests sent, the 429s and the errors; the first
rate with a 429; and **lost**: the 200 answers whose query id has no item in the query log (every
successful answer must have its item). Latencies are the client's round trips.
"""

from __future__ import annotations

import json
import logging
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from launchpad.assistant.client import Assistant, Reply
from launchpad.aws import AwsTarget
from launchpad.demo.assistant import AssistantDemo
from launchpad.errors import LaunchpadError

log = logging.getLogger(__name__)

DIRECT_REQUESTS = 200
FIXED_RATE = 5.0  # requests a second: under the web plan's 20, so nothing is throttled
FIXED_SECONDS = 60.0
STEP_RATES = (10.0, 20.0, 30.0, 40.0, 60.0)
STEP_SECONDS = 5.0
WORKERS = 16
QUESTIONS = (
    "How is high blood pressure treated?",
    "What are the symptoms of asthma?",
    "How do I know if I have the flu?",
    "What should I do for a minor burn?",
    "How can I prevent type 2 diabetes?",
)


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50, p95 and p99 of ``samples`` (inclusive quantiles; every value for fewer than two samples)."""
    if not samples:
        raise ValueError("no samples")
    if len(samples) == 1:
        return {"p50": samples[0], "p95": samples[0], "p99": samples[0]}
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": statistics.median(samples), "p95": cuts[94], "p99": cuts[98]}


def paced(rate: float, seconds: float, send: Callable[[int], Reply], pool: ThreadPoolExecutor) -> list[Reply]:
    """Send ``rate`` requests a second for ``seconds`` (request i leaves at i / rate), open loop."""
    started, futures = time.monotonic(), []
    for i in range(round(rate * seconds)):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        futures.append(pool.submit(send, i))
    return [future.result() for future in futures]


def tally(replies: Sequence[Reply]) -> dict[str, float]:
    """How many were sent, throttled (429) and failed (neither 200 nor 429)."""
    throttled = sum(r.status == 429 for r in replies)
    failed = sum(r.status not in (200, 429) for r in replies)
    return {"sent": len(replies), "throttled": throttled, "errors": failed}


def _direct_ms(target: AwsTarget, endpoint: str, body: bytes) -> list[float]:
    runtime, samples = target.client("sagemaker-runtime"), []
    for _ in range(DIRECT_REQUESTS):
        started = time.perf_counter()
        runtime.invoke_endpoint(EndpointName=endpoint, Body=body, ContentType="application/json")
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _model_request(demo: AssistantDemo) -> bytes:
    """The request the function sends for the first question: the same retrieval, the same prompt."""
    from launchpad.assistant import handler, retrieval

    index = retrieval.Index.loads(demo.index_file.read_bytes())
    passages = [index.passage(hit.id) for hit in index.search(QUESTIONS[0], 3)]
    return json.dumps(handler.model_request(QUESTIONS[0], passages)).encode()


def _lost(target: AwsTarget, table: str, replies: Sequence[Reply]) -> int:
    """200 answers whose query id has no item in the query log."""
    ids = {r.body["query_id"] for r in replies if r.status == 200}
    found: set[str] = set()
    dynamodb, pending = target.client("dynamodb"), sorted(ids)
    while pending:
        batch, pending = pending[:100], pending[100:]
        keys = [{"query_id": {"S": i}} for i in batch]
        got = dynamodb.batch_get_item(
            RequestItems={table: {"Keys": keys, "ProjectionExpression": "query_id"}}
        )
        found |= {item["query_id"]["S"] for item in got["Responses"].get(table, [])}
        unread = got.get("UnprocessedKeys") or {}
        pending += [str(key["query_id"]["S"]) for key in unread[table]["Keys"]] if table in unread else []
    return len(ids - found)


def measure_api_load(endpoint_url: str) -> dict[str, float]:
    target = AwsTarget.sandbox(endpoint_url)
    with tempfile.TemporaryDirectory(prefix="launchpad-bench-assistant-") as scratch:
        demo = AssistantDemo(target, Path(scratch))
        try:
            for title, step in demo.steps():
                if step == demo.ask:
                    break
                log.info("%s: %s", title, step())
            return _measure(demo)
        finally:
            demo.close()  # the stand-in endpoint, then the destroy


def _measure(demo: AssistantDemo) -> dict[str, float]:
    person: Assistant | None = demo.person
    if person is None:
        raise LaunchpadError("the assistant's person did not sign in")
    endpoint = demo.endpoint
    direct = percentiles(_direct_ms(demo.target, endpoint, _model_request(demo)))

    def send(i: int) -> Reply:
        assert person is not None
        return person.ask(QUESTIONS[i % len(QUESTIONS)])

    results: dict[str, float] = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        fixed = paced(FIXED_RATE, FIXED_SECONDS, send, pool)
        steps: list[list[Reply]] = []
        for rate in STEP_RATES:
            steps.append(paced(rate, STEP_SECONDS, send, pool))
            counts = tally(steps[-1])
            results.update({f"step_{rate:g}rps_{k}": v for k, v in counts.items()})
            if counts["throttled"]:
                results["first_throttled_rps"] = rate
                break
    api = percentiles([r.seconds * 1000 for r in fixed if r.status == 200])
    results.update({f"api_{k}_ms": v for k, v in api.items()})
    results.update({f"direct_{k}_ms": v for k, v in direct.items()})
    results.update({f"api_to_direct_{k}": api[k] / direct[k] for k in api})
    counted = tally(fixed)
    results["fixed_rps"] = FIXED_RATE
    results["fixed_requests"] = counted["sent"]
    results["fixed_error_rate"] = counted["errors"] / counted["sent"]
    every = fixed + [reply for step in steps for reply in step]
    results["ok_answers"] = sum(r.status == 200 for r in every)
    results["lost"] = _lost(demo.target, demo.outputs["table_name"], every)
    return results
