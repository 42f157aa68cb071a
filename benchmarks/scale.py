"""Scale run: a synthesized stack of 100 exports, created and then deleted all at once.

    python -m benchmarks.scale [--duration 5] [--timeout 20]

The stack (benchmarks/scale_app.py: 25 exports of each kind, one destination) is synthesized with
the CDK; its custom resources are driven through Create and then Delete concurrently, each
invocation a fresh process running the handler from the cloud assembly's asset, against the
Forecast stand-in with Forecast's quota of 3 concurrent export jobs per kind. The function timeout is
shortened (``--timeout``) so that queued exports wait across invocations, as long jobs do in AWS,
and the poll interval and backoff are shortened so the run takes minutes; the waiting state is
then the same as in AWS.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.e2e.cloud_assembly import StackArtifact, synthesize
from tests.e2e.offline import ACCOUNT, REGION, create_with_moto, runtime_for
from tests.standins.catch_all import CatchAllEndpoint
from tests.standins.cfn_endpoint import ResponseEndpoint
from tests.standins.forecast import ForecastStandIn
from tests.standins.lambda_service import LambdaServiceStandIn

from .scale_app import PER_KIND, STACK

QUOTA_PER_KIND = 3
POLICY_LIMIT_BYTES = 20 * 1024
EVENTBRIDGE_INPUT_LIMIT = 8192
ASYNC_PAYLOAD_LIMIT = 256 * 1024


def event(
    stack_id: str, endpoint: ResponseEndpoint, logical_id: str, request_type: str, **fields: Any
) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    return {
        "RequestType": request_type,
        "ResponseURL": endpoint.new_response_url(stack_id, logical_id, request_id),
        "StackId": stack_id,
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        **fields,
    }


def run(duration: float, timeout: float) -> int:
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        synthesize(Path(__file__).with_name("scale_app.py"), Path(directory))
        synth_seconds = time.perf_counter() - started
        stack = StackArtifact.load(Path(directory), STACK)
        return drive(stack, duration, timeout, synth_seconds)


def drive(stack: StackArtifact, duration: float, timeout: float, synth_seconds: float) -> int:
    resolver = create_with_moto(stack, STACK)
    custom = stack.custom_resources()
    [function_id] = {stack.service_function(resource) for resource in custom.values()}
    function_name = f"{STACK}-{function_id}"[:64]
    resolver.refs[function_id] = function_name
    resolver.attributes[(function_id, "Arn")] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
    stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/{uuid.uuid4()}"

    with (
        ForecastStandIn(
            pending_seconds=0.1,
            duration=duration,
            delete_seconds=0.5,
            stop_seconds=0.5,
            max_concurrent_per_kind=QUOTA_PER_KIND,
        ) as forecast,
        LambdaServiceStandIn() as lambda_service,
        ResponseEndpoint() as endpoint,
        CatchAllEndpoint() as catch_all,
    ):
        services: dict[str, Any] = dict(
            forecast=forecast, lambda_service=lambda_service, endpoint=endpoint, catch_all=catch_all
        )
        fast = {"POLL_INTERVAL_SECONDS": "1", "RETRY_BASE_SECONDS": "0.5", "RETRY_CAP_SECONDS": "3"}
        # Two cores cannot start 100 Lambda sandboxes within Lambda's 10 s init limit: lift it.
        services.update(timeout_seconds=timeout, environment=fast, init_limit_seconds=600.0)
        with runtime_for(stack, resolver, function_id, **services) as rt:
            properties = {
                logical_id: resolver.resolve(resource["Properties"]) for logical_id, resource in custom.items()
            }
            creates = {
                logical_id: event(
                    stack_id,
                    endpoint,
                    logical_id,
                    "Create",
                    ResourceType=custom[logical_id]["Type"],
                    ResourceProperties=properties[logical_id],
                )
                for logical_id in custom
            }
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=len(creates)) as pool:
                list(pool.map(rt.invoke_async, creates.values()))
            created = {key: endpoint.wait_for_response(e["ResponseURL"], timeout=1800) for key, e in creates.items()}
            create_seconds = time.perf_counter() - started
            create_invocations = rt.invocation_count

            deletes = {
                logical_id: event(
                    stack_id,
                    endpoint,
                    logical_id,
                    "Delete",
                    ResourceType=custom[logical_id]["Type"],
                    ResourceProperties=properties[logical_id],
                    PhysicalResourceId=answer["PhysicalResourceId"],
                )
                for logical_id, answer in created.items()
            }
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=len(deletes)) as pool:
                list(pool.map(rt.invoke_async, deletes.values()))
            deleted = {key: endpoint.wait_for_response(e["ResponseURL"], timeout=900) for key, e in deletes.items()}
            delete_seconds = time.perf_counter() - started
            rt.wait_idle(timeout=120)
            invocations = rt.invocation_count
            timed_out = sum(1 for invocation in rt.invocations if invocation.timed_out)

        kinds = sorted({job.kind for job in forecast.jobs()})
        payloads = [record.size for record in lambda_service.invocations]
        ideal = math.ceil(PER_KIND / QUOTA_PER_KIND) * duration
        checks = {
            "100 custom resources in the stack": len(custom) == 100,
            "every Create answered SUCCESS": all(a["Status"] == "SUCCESS" for a in created.values()),
            "every Delete answered SUCCESS": all(a["Status"] == "SUCCESS" for a in deleted.values()),
            "one job per resource (no duplicates)": len(forecast.jobs()) == 100
            and len({a["PhysicalResourceId"] for a in created.values()}) == 100,
            "no job left behind": forecast.live_jobs() == [],
            f"at most {QUOTA_PER_KIND} concurrent jobs per kind": all(
                forecast.max_concurrency(kind) <= QUOTA_PER_KIND for kind in kinds
            ),
            "no invocation timed out": timed_out == 0,
            "no call to EventBridge, Lambda permissions or any other service": catch_all.calls == [],
            "no answer broke CloudFormation's response rules": endpoint.violations == [],
            f"every continuation payload under {ASYNC_PAYLOAD_LIMIT} bytes": max(payloads, default=0)
            < ASYNC_PAYLOAD_LIMIT,
        }
        refused = sum(1 for call in forecast.calls if call.error == "LimitExceededException")
        failures = [a["Reason"] for a in [*created.values(), *deleted.values()] if a["Status"] != "SUCCESS"]

    print(
        f"Scale run: {len(custom)} exports ({PER_KIND} per kind), job duration {duration:g} s, quota {QUOTA_PER_KIND}"
    )
    print()
    print("| measure | value |")
    print("| --- | --- |")
    print(f"| synth time of the 100-export stack | {synth_seconds:.1f} s |")
    print(f"| Create wall time, all 100 at once | {create_seconds:.1f} s |")
    print(f"| ideal: ceil({PER_KIND}/{QUOTA_PER_KIND}) x {duration:g} s per kind, kinds in parallel | {ideal:.1f} s |")
    print(f"| Create wall time / ideal | {create_seconds / ideal:.2f} |")
    print(f"| Delete wall time, all 100 at once | {delete_seconds:.1f} s |")
    print(f"| Lambda invocations (Create phase / total) | {create_invocations} / {invocations} |")
    print(f"| self-invocations (continuations) | {len(payloads)} |")
    print(f"| largest continuation payload | {max(payloads, default=0)} bytes (async limit {ASYNC_PAYLOAD_LIMIT}) |")
    print(f"| Lambda resource-policy statements added while waiting | 0 bytes (limit {POLICY_LIMIT_BYTES}) |")
    print(f"| EventBridge rules / largest rule input | 0 / 0 characters (limit {EVENTBRIDGE_INPUT_LIMIT}) |")
    print(f"| peak concurrent jobs per kind | {', '.join(f'{k} {forecast.max_concurrency(k)}' for k in kinds)} |")
    print(f"| Create calls refused by the quota (LimitExceededException) | {refused} |")
    print()
    for name, passed in checks.items():
        print(f"{'PASS' if passed else 'FAIL'}: {name}")
    for reason in failures[:5]:
        print(f"  failure: {reason}")
    return 0 if all(checks.values()) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds each export job takes (default 5)")
    parser.add_argument("--timeout", type=float, default=20.0, help="function timeout in seconds (default 20)")
    arguments = parser.parse_args(argv)
    return run(arguments.duration, arguments.timeout)


if __name__ == "__main__":
    sys.exit(main())
