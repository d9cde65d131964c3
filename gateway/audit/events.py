"""Audit events and their leaves: one event per request, serialised with RFC 8785.

An event (schema version 1) is a JSON object with exactly these members::

    v              1
    seq            its index in the log, from 0
    gateway        the gateway's id ("gateway-zj")
    time           when the answer was ready, UTC, "YYYY-MM-DDTHH:MM:SS.mmmZ"
    client         the authenticated client id, or null
    organisation   its organisation, or null
    role           its role (province | agency | auditor), or null
    purpose        the purpose the caller declared, or null
    authorisation  the authorisation reference (consent or legal basis) it gave, or null
    endpoint       "METHOD /route/{template}" ("unmatched" when no route matched)
    subject_tag    the subject tag under the current key version for subject queries, or null
    params         SHA-256 (hex) of the canonical parameters, see ``params_digest``
    status         the HTTP status of the answer
    outcome        "ok", or the error's reason ("token_expired", "insufficient_scope", ...)
    answer         SHA-256 (hex) of the answer's body

The leaf of the Merkle log is the event's RFC 8785 canonical JSON, so anyone holding an event
can recompute its leaf hash. Raw subject ids never enter an event: a subject query records the
subject tag, and its parameters digest is taken with the tag in the id's place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

SCHEMA_VERSION = 1
EVENT_FIELDS = (
    "v",
    "seq",
    "gateway",
    "time",
    "client",
    "organisation",
    "role",
    "purpose",
    "authorisation",
    "endpoint",
    "subject_tag",
    "params",
    "status",
    "outcome",
    "answer",
)


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """Everything about one request but its place in the log."""

    time: dt.datetime
    client: str | None
    organisation: str | None
    role: str | None
    purpose: str | None
    authorisation: str | None
    endpoint: str
    subject_tag: str | None
    params: str
    status: int
    outcome: str
    answer: str

    def event(self, seq: int, gateway: str) -> dict[str, Any]:
        """The event as the log holds it, at position ``seq``."""
        return {
            "v": SCHEMA_VERSION,
            "seq": seq,
            "gateway": gateway,
            "time": iso_millis(self.time),
            "client": self.client,
            "organisation": self.organisation,
            "role": self.role,
            "purpose": self.purpose,
            "authorisation": self.authorisation,
            "endpoint": self.endpoint,
            "subject_tag": self.subject_tag,
            "params": self.params,
            "status": self.status,
            "outcome": self.outcome,
            "answer": self.answer,
        }


def leaf_bytes(event: dict[str, Any]) -> bytes:
    """The Merkle leaf of an event: its RFC 8785 canonical JSON.

    An event holds only ASCII keys, strings, integers below 2**53 and null; for those, orjson
    with sorted keys writes RFC 8785's bytes exactly (the tests hold it to ``jcs``) at a
    twentieth of the cost, which matters on the path of every request.
    """
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS)


def params_digest(
    method: str, endpoint: str, path_params: dict[str, str], query: list[tuple[str, str]], body: bytes
) -> str:
    """SHA-256 (hex) of the RFC 8785 JSON of the request's parameters: method, route template,
    path parameters, query parameters in order, and the SHA-256 of the body (written as
    ``leaf_bytes`` writes, for the same reason)."""
    doc = {
        "method": method,
        "endpoint": endpoint,
        "path": path_params,
        "query": [list(pair) for pair in query],
        "body": hashlib.sha256(body).hexdigest(),
    }
    return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()


def iso_millis(moment: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC."""
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
