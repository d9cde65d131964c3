"""JSON-RPC 2.0 envelope handling: single and batch requests, error objects, raw results."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from node.errors import JsonRpcError, LedgerError

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000

_log = logging.getLogger(__name__)

Method = Callable[[list[Any]], Any]


@dataclass(frozen=True)
class JsonPieces:
    """A result already serialised, as pieces to write one after the other (a large array)."""

    pieces: list[bytes]


class Dispatcher:
    """Turns request bodies into response bodies (JSON-RPC 2.0, section 5 and 6).

    Methods take the positional ``params`` list and return a JSON-able value; a stored JSON
    object comes back as an ``orjson.Fragment``, a large one as :class:`JsonPieces`, and is
    written out as it is.
    """

    def __init__(self, *, methods: Mapping[str, Method]) -> None:
        self._methods = dict(methods)

    def handle(self, body: bytes) -> list[bytes]:
        """The response body for ``body`` in pieces; none when it held only notifications."""
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            return [orjson.dumps(_error(None, PARSE_ERROR, f"parse error: {exc}"))]
        if isinstance(request, list):
            if not request:
                return [orjson.dumps(_error(None, INVALID_REQUEST, "invalid request: empty batch"))]
            answers = [_joined(answer) for item in request if (answer := self._one(item)) is not None]
            return [orjson.dumps(answers)] if answers else []
        answer = self._one(request)
        if answer is None:
            return []
        result = answer.get("result")
        if isinstance(result, JsonPieces):
            head = b'{"jsonrpc":"2.0","id":' + orjson.dumps(answer["id"]) + b',"result":'
            return [head, *result.pieces, b"}"]
        return [orjson.dumps(answer)]

    def _one(self, request: Any) -> dict[str, Any] | None:
        if not isinstance(request, dict):
            return _error(None, INVALID_REQUEST, "invalid request: not an object")
        request_id = request.get("id")
        method = request.get("method")
        if not isinstance(method, str) or request.get("jsonrpc", "2.0") != "2.0":
            return _error(request_id, INVALID_REQUEST, "invalid request")
        params = request.get("params")
        if params is None:
            params = []
        if not isinstance(params, list):
            return _error(request_id, INVALID_PARAMS, "invalid params: only positional params")
        handler = self._methods.get(method)
        if handler is None:
            answer = _error(request_id, METHOD_NOT_FOUND, f"the method {method} does not exist")
        else:
            try:
                answer = {"jsonrpc": "2.0", "id": request_id, "result": handler(params)}
            except JsonRpcError as exc:
                answer = _error(request_id, exc.code, exc.message, exc.data)
            except LedgerError as exc:
                answer = _error(request_id, SERVER_ERROR, str(exc))
            except Exception as exc:
                _log.exception("JSON-RPC method %s failed", method)
                answer = _error(request_id, INTERNAL_ERROR, f"internal error: {exc}")
        return answer if "id" in request else None


def _joined(answer: dict[str, Any]) -> dict[str, Any]:
    result = answer.get("result")
    if isinstance(result, JsonPieces):
        return {**answer, "result": orjson.Fragment(b"".join(result.pieces))}
    return answer


def _error(request_id: Any, code: int, message: str, data: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}
