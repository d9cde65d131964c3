"""The OpenAPI schema against the gateway (schemathesis): no 5xx, every answer's status,
content type, headers and body as documented. Bounded and deterministic: a few examples per
operation, derandomised."""

from __future__ import annotations

import os

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.client import GatewayClient
from tests.gateway.conftest import Served

pytestmark = [pytest.mark.ledger, pytest.mark.rpc, pytest.mark.slow]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
AUDITOR_PATHS = ("/v1/audit", "/v1/entries")
EXAMPLES = int(os.environ.get("YRDX_TEST_SCHEMA_EXAMPLES", "6"))  # raise locally for a deeper run


def _exercise(operation: schemathesis.schemas.APIOperation, url: str, headers: dict[str, str]) -> int:
    """Run ``EXAMPLES`` generated cases of one operation; returns how many were sent."""
    sent = 0

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def call(case: schemathesis.Case) -> None:
        nonlocal sent
        sent += 1
        case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)

    call()
    return sent


# schemathesis's strategies draw from ``random`` themselves; hypothesis frowns on that
@pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies:hypothesis.errors.HypothesisDeprecationWarning"
)
def test_answers_match_the_schema(zj: Served, clients: dict[str, GatewayClient]) -> None:
    """Every operation of the served schema, a few generated cases each (schemathesis's own
    pytest plugin does not run on this pytest, so its strategies are driven directly)."""
    api = schemathesis.openapi.from_url(zj.url + "/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 13
    sent = 0
    for operation in operations:
        caller = "auditor" if operation.path.startswith(AUDITOR_PATHS) else "province-zj"
        sent += _exercise(operation, zj.url, {"Authorization": f"Bearer {clients[caller].token()}"})
    assert sent >= 3 * len(operations)


def test_every_operation_documents_its_refusals(zj: Served) -> None:
    doc = httpx.get(zj.url + "/openapi.json").json()
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"413", "429", "503"} <= statuses, (method, path)
            if path not in ("/healthz", "/metrics", "/oauth/token"):
                assert {"401", "403", "422"} <= statuses, (method, path)
                assert operation["security"] == [{"accessToken": []}], (method, path)
    assert doc["components"]["securitySchemes"]["accessToken"]["scheme"] == "bearer"
    assert doc["paths"]["/v1/verify"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PackageIn"
    }
    assert doc["components"]["schemas"]["PackageIn"]["additionalProperties"] is False
