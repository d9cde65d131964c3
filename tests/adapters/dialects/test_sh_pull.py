"""Shanghai's HTTP export endpoint, served by a small local server on 127.0.0.1: paging, bad
items, failures, and ``read_entries`` given the endpoint's URL."""

from __future__ import annotations

import httpx
import pytest

from adapters.core.errors import DialectError
from adapters.core.provinces import Province
from adapters.dialects import DIALECTS, Parsed, Refusal, ShanghaiDialect
from adapters.samples import sample_path
from tests.adapters.shanghai_platform import ROWS, Platform

SH = DIALECTS[Province.SH]
assert isinstance(SH, ShanghaiDialect)


def test_pull_pages_through_the_cursor(platform: tuple[Platform, str]) -> None:
    state, base = platform
    with httpx.Client(timeout=5) as client:
        items = list(SH.pull_entries(client, base, limit=7))
    assert [i.record for i in items if isinstance(i, Parsed)] == [
        i.record for i in SH.read_entries(sample_path(Province.SH, "entries")) if isinstance(i, Parsed)
    ]
    assert len(state.requests) == 9
    assert "cursor" not in state.requests[0] and state.requests[1]["cursor"] == ["c7"]
    assert items[8].location == "page 2 item 1"


def test_pull_refuses_bad_items_and_goes_on(platform: tuple[Platform, str]) -> None:
    state, base = platform
    state.rows = [ROWS[0], {**ROWS[1], "list_type": "grey"}, "junk", ROWS[2]]
    with httpx.Client(timeout=5) as client:
        items = list(SH.pull_entries(client, base, limit=3))
    assert [type(i) for i in items] == [Parsed, Refusal, Refusal, Parsed]
    assert items[1].field == "list_type" and items[2].field == "record"
    assert items[1].source.endswith("/export/entries")


@pytest.mark.parametrize(("fault", "message"), [("500", "HTTP 500"), ("html", "not JSON"), ("loop", "repeats")])
def test_pull_faults_are_dialect_errors(platform: tuple[Platform, str], fault: str, message: str) -> None:
    state, base = platform
    state.fault = fault
    with httpx.Client(timeout=5) as client, pytest.raises(DialectError, match=message):
        list(SH.pull_entries(client, base, limit=20))


def test_pull_unreachable_is_a_dialect_error() -> None:
    with httpx.Client(timeout=1) as client, pytest.raises(DialectError, match="request failed"):
        list(SH.pull_entries(client, "http://127.0.0.1:9/export"))


def test_reading_a_url_pulls_from_the_endpoint(platform: tuple[Platform, str]) -> None:
    state, base = platform
    pulled = list(SH.read_entries(base))
    assert [i.record for i in pulled if isinstance(i, Parsed)] == [
        i.record for i in SH.read_entries(sample_path(Province.SH, "entries")) if isinstance(i, Parsed)
    ]
    assert len(pulled) == len(ROWS) and state.requests[0]["limit"] == ["1000"]


def test_reading_a_url_reports_the_endpoint_failing(platform: tuple[Platform, str]) -> None:
    state, base = platform
    state.fault = "500"
    with pytest.raises(DialectError, match="HTTP 500"):
        list(SH.read_entries(base))


@pytest.mark.parametrize("url", ["http://[::1/export", "http://127.0.0.1:9/export"])
def test_a_url_that_cannot_be_reached_is_a_dialect_error(url: str) -> None:
    with pytest.raises(DialectError, match="request failed") as raised:
        list(SH.read_entries(url))
    assert raised.value.source.startswith(url)


@pytest.mark.parametrize("province", [Province.JS, Province.ZJ, Province.AH], ids=lambda p: p.value)
def test_platforms_without_an_endpoint_refuse_a_url(province: Province) -> None:
    with pytest.raises(DialectError, match="exports files only") as raised:
        list(DIALECTS[province].read_entries("http://127.0.0.1:9/export"))
    assert raised.value.source == "http://127.0.0.1:9/export"
