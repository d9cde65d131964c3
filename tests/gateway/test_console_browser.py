"""The console end to end in headless Chromium (Debian's ``chromium`` driven through its
``chromedriver`` by Selenium): a development exchange of its own on anvil, a Jiangsu entry
disputed after Zhejiang last synced, Zhejiang's gateway with one anchored checkpoint; the page
opened with a token in its fragment must show the members, counts, lag, checkpoints and charts
the index, the store and the ledger hold, and look a subject up through its form. Screenshots
go to ``test-artifacts/console/``.

Chromium missing is a failure, not a skip: ``scripts/setup --dev`` installs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from adapters.core.model import EntryStatus
from adapters.core.package import RecordPackage
from adapters.core.provinces import Province
from gateway.client import GatewayClient
from tests.gateway.conftest import DevExchange, Served, serve, wait_for
from tests.running import sample_exchange
from yrdx.commands.gateway import dev_credentials, ensure_dev_pki

pytestmark = [pytest.mark.browser, pytest.mark.ledger, pytest.mark.rpc, pytest.mark.slow]

ZJ, JS = Province.ZJ, Province.JS
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--lang=zh-CN",
    "--window-size=1440,1000",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"the console's browser test needs Debian's headless Chromium: {', '.join(missing)} missing "
            "(apt-get install chromium chromium-driver, as scripts/setup --dev does)"
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        pytest.fail(f"the console's browser test needs selenium (pip install -e '.[dev]'): {exc}")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (*CHROMIUM_ARGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def exchange(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DevExchange, str, int]]:
    """A development exchange of its own: samples ingested and synced twice, then one Jiangsu
    entry disputed that Zhejiang's syncer has not read. Yields it, the disputed entry's id and
    the dispute's block."""
    with sample_exchange(tmp_path_factory.mktemp("console-exchange")) as (ex, url):
        ex.sync_round()
        ex.sync_round()
        ensure_dev_pki(ex.data_dir)
        dev = DevExchange(ex.data_dir, url, ex)
        entry = RecordPackage.from_json(dev.packages(JS, kind="list-entry")[0])
        client, deployment = ex.provinces[JS].client, ex.deployment
        assert deployment is not None
        lists = client.contract("CreditLists", deployment.address("CreditLists"))
        receipt = client.transact(lists.functions.changeStatusBatch([(entry.entry_id, int(EntryStatus.DISPUTED))]))
        yield dev, "0x" + entry.entry_id.hex(), receipt.block_number


@pytest.fixture(scope="module")
def gateway(exchange: tuple[DevExchange, str, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Zhejiang's gateway, anchoring only when told to, with one checkpoint anchored."""
    dev, _, disputed_at = exchange
    db = tmp_path_factory.mktemp("console-gateway") / "gateway.db"
    settings = dev.gateway_settings(ZJ, db)
    audit = settings.audit.model_copy(update={"checkpoint_every_events": 1_000_000, "checkpoint_every_seconds": 3600})
    served = serve(dev.open_gateway(ZJ, settings.model_copy(update={"audit": audit})))
    try:
        deps = served.gateway.deps
        for _ in range(3):
            httpx.get(served.url + "/healthz")
        assert deps.anchorer is not None
        checkpoint = deps.anchorer.anchor()
        assert checkpoint is not None
        wait_for(
            lambda: bool(deps.index.checkpoints(deps.stream_id, 0, 10)) and deps.index.cursor.block >= disputed_at,
            what="the checkpoint and the dispute indexed",
        )
        yield served
    finally:
        served.stop()


def _token(dev: DevExchange, served: Served, who: str) -> str:
    with GatewayClient(served.url, credentials=dev_credentials(dev.dd, who)) as client:
        return client.token()


def _state(driver: Any) -> str | None:
    state: str | None = driver.find_element("tag name", "body").get_attribute("data-state")
    return state


def _load(driver: Any, url: str, *, until: tuple[str, ...] = ("ready",)) -> str | None:
    """Open ``url`` as a fresh page (not a same-document change of the fragment) and wait until
    the console settles."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("about:blank")
    driver.get(url)
    WebDriverWait(driver, 30).until(lambda d: _state(d) in (*until, "error", "signin"))
    return _state(driver)


def _open(driver: Any, served: Served, token: str, *, until: tuple[str, ...] = ("ready",)) -> str | None:
    return _load(driver, f"{served.url}/console#token={token}", until=until)


def _text(driver: Any, css: str) -> str:
    value: str = driver.find_element("css selector", css).text
    return value


def _screenshot(driver: Any, name: str) -> Path:
    """The whole page: the window grown to the document's height first."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1440, max(900, int(height) + 20))
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    driver.set_window_size(1440, 1000)
    assert path.stat().st_size > 10_000
    return path


def _n(value: int) -> str:
    return f"{value:,}"


def test_the_console_shows_what_the_exchange_holds(
    browser: Any, exchange: tuple[DevExchange, str, int], gateway: Served
) -> None:
    dev, disputed, _ = exchange
    before = gateway.gateway.deps.trail.size
    assert _open(browser, gateway, _token(dev, gateway, "province-zj")) == "ready", _text(browser, "#load-error")
    after = gateway.gateway.deps.trail.size
    assert "token=" not in browser.current_url and browser.get_cookies() == []
    assert "浙江省" in _text(browser, "#hdr-province") and _text(browser, "#hdr-gateway") == "gateway-zj"

    # members, quorum and tag key version, from the contract
    members = browser.find_elements("css selector", "#members tbody tr")
    assert [m.get_attribute("data-code") for m in members] == ["31", "32", "33", "34"]
    assert [m.find_elements("css selector", "td")[1].text.split()[0] for m in members] == [
        "上海市",
        "江苏省",
        "浙江省",
        "安徽省",
    ]
    assert "this" in members[2].get_attribute("class")
    assert _text(browser, "#quorum") == "3 / 4" and _text(browser, "#tag-key") == "v1"

    # counts per province, in the table and in the stacked chart, as the index holds them
    with gateway.gateway.engine.connect() as conn:
        rows = list(
            conn.execute(
                text("SELECT province, kind, list_type, status, count(*) FROM chain_records GROUP BY 1, 2, 3, 4")
            )
        )
    short = {31: "sh", 32: "js", 33: "zj", 34: "ah"}
    for code, p in short.items():
        mine = [r for r in rows if r[0] == code]
        row = f'#province-counts tr[data-province="{p}"]'
        red = sum(r[4] for r in mine if r[1] == "list-entry" and r[2] == 1)
        black = sum(r[4] for r in mine if r[1] == "list-entry" and r[2] == 2)
        evaluations = sum(r[4] for r in mine if r[1] == "evaluation")
        assert _text(browser, f'{row} td[data-col="red"]') == _n(red)
        assert _text(browser, f'{row} td[data-col="black"]') == _n(black)
        assert _text(browser, f'{row} td[data-col="evaluations"]') == _n(evaluations)
        assert _text(browser, f'{row} td[data-col="total"]') == _n(red + black + evaluations)
        bars = browser.find_elements("css selector", f'#svg-provinces rect[data-province="{p}"]')
        drawn = {b.get_attribute("data-status"): int(b.get_attribute("data-value")) for b in bars}
        statuses: dict[str, int] = {}
        for r in mine:
            if r[1] == "list-entry":
                statuses[EntryStatus(r[3]).name] = statuses.get(EntryStatus(r[3]).name, 0) + r[4]
        assert drawn == statuses  # one segment per status present
    assert any(r[0] == 32 and r[3] == int(EntryStatus.DISPUTED) for r in rows)
    assert browser.find_element("css selector", '#svg-provinces rect[data-province="js"][data-status="DISPUTED"]')
    domain_bars = browser.find_elements("css selector", "#svg-domains rect[data-domain]")
    assert sum(int(b.get_attribute("data-value")) for b in domain_bars) == sum(r[4] for r in rows)
    assert "生态环境" in _text(browser, "#chart-domains")

    # sync lag per peer: the store's cursor against the index
    store = dev.exchange.provinces[ZJ].store
    cursor = store.cursor("sync")
    assert cursor is not None
    with gateway.gateway.engine.connect() as conn:
        newest = dict(
            conn.execute(
                text(
                    "SELECT r.province, max(e.block) FROM chain_events e JOIN chain_records r "
                    "ON r.record_id = e.record_id WHERE e.block > :c GROUP BY 1"
                ),
                {"c": cursor},
            ).all()
        )
    assert newest.get(32, 0) > cursor  # the dispute waits for Zhejiang's syncer
    for code, p in short.items():
        if code == 33:
            continue
        lag = newest[code] - cursor if code in newest else 0
        assert _text(browser, f'#sync tr[data-peer="{p}"] td[data-col="lag"]') == _n(lag), p
    assert "滞后 behind" in _text(browser, '#sync tr[data-peer="js"]')

    # the dispute among the recent status changes; publications drawn per block range
    change = browser.find_element("css selector", f'#recent-changes tr[data-record="{disputed}"]')
    assert "DISPUTED" in change.text and "js" in change.text
    assert browser.find_elements("css selector", "#svg-activity circle[data-value]")
    assert len(browser.find_elements("css selector", "#recent-publications tbody tr[data-record]")) == 10

    # the audit trail and its one anchored checkpoint
    deps = gateway.gateway.deps
    (checkpoint,) = deps.index.checkpoints(deps.stream_id, 0, 10)
    rows_shown = browser.find_elements("css selector", "#checkpoints tbody tr[data-index]")
    assert [r.get_attribute("data-index") for r in rows_shown] == ["0"]
    assert _text(browser, '#checkpoints tr[data-index="0"] td[data-col="tree-size"]') == _n(checkpoint.tree_size)
    assert _text(browser, "#audit-checkpoint-count") == "1"
    assert _text(browser, "#audit-anchored").startswith(_n(checkpoint.tree_size))
    shown_size = int(_text(browser, "#audit-tree-size").replace(",", ""))
    assert before <= shown_size <= after
    assert browser.find_element("css selector", "#gauge-anchored").get_attribute("data-value") == str(
        checkpoint.tree_size
    )
    assert _text(browser, "#audit-health") == "正常 ok"
    browser.save_screenshot(str(ARTIFACTS / "first-screen.png"))  # what an operator sees first
    _screenshot(browser, "overview.png")


def test_a_subject_is_looked_up_through_the_form(
    browser: Any, exchange: tuple[DevExchange, str, int], gateway: Served
) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    dev, _, _ = exchange
    token = _token(dev, gateway, "province-zj")
    assert _open(browser, gateway, token) == "ready"
    subject = RecordPackage.from_json(dev.packages(ZJ, kind="list-entry")[0]).record.subject_id
    browser.find_element("id", "lookup-subject").send_keys(subject)
    browser.find_element("id", "lookup-purpose").send_keys("联合奖惩核查")
    browser.find_element("id", "lookup-authorisation").send_keys("浙信用〔2026〕1号")
    browser.find_element("id", "lookup-submit").click()
    WebDriverWait(browser, 30).until(
        lambda d: d.find_element("tag name", "body").get_attribute("data-lookup") != "pending"
    )
    assert browser.find_element("tag name", "body").get_attribute("data-lookup") == "done", _text(
        browser, "#lookup-error"
    )
    with GatewayClient(gateway.url, credentials=dev_credentials(dev.dd, "province-zj")) as client:
        answer = client.subject(subject, purpose="核对", authorisation="test")
    expected = [e["entry_id"] for e in answer["entries"] + answer["evaluations"]]
    shown = browser.find_elements("css selector", "#lookup-table tbody tr[data-entry-id]")
    assert expected and [r.get_attribute("data-entry-id") for r in shown] == expected
    page = _text(browser, "#lookup-card")
    assert subject not in page  # minimised: the subject's id is not shown back
    summary = _text(browser, "#lookup-summary")
    assert summary.startswith(f"{len(answer['entries'])} list entries")
    seq = int(summary.rsplit("#", 1)[1])
    with GatewayClient(gateway.url, credentials=dev_credentials(dev.dd, "auditor")) as auditor:
        event = auditor.audit_events(start=seq, limit=1)["events"][0]["event"]
    assert event["endpoint"] == "GET /v1/subjects/{subject_id}/entries" and event["status"] == 200
    assert event["purpose"] == "联合奖惩核查" and event["authorisation"] == "浙信用〔2026〕1号"
    assert event["subject_tag"] == "0x" + dev.dd.keyring().tag(subject).hex()
    browser.execute_script("document.getElementById('lookup-card').scrollIntoView()")
    _screenshot(browser, "subject-lookup.png")


def test_auditors_see_it_without_the_lookup_and_agencies_are_refused(
    browser: Any, exchange: tuple[DevExchange, str, int], gateway: Served
) -> None:
    dev, _, _ = exchange
    assert _open(browser, gateway, _token(dev, gateway, "auditor")) == "ready"
    assert "auditor" in _text(browser, "#hdr-role")
    assert not browser.find_element("id", "lookup-submit").is_enabled()
    assert "subjects:query" in _text(browser, "#lookup-note")
    _screenshot(browser, "auditor.png")
    assert _open(browser, gateway, _token(dev, gateway, "agency"), until=("refused",)) == "refused"
    assert "province platform and auditors" in _text(browser, "#refused-detail")
    assert not browser.find_element("id", "console").is_displayed()
    _screenshot(browser, "refused.png")
    # the token stays in the tab: the console opens again without it in the address
    assert _load(browser, f"{gateway.url}/console", until=("refused",)) == "refused"
    browser.find_element("id", "refused-sign-out").click()
    assert _state(browser) == "signin" and browser.execute_script("return sessionStorage.length") == 0
