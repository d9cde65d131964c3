"""The store's publisher lock, on both backends: one process publishes for a province at a time,
another waits for it (or gives up after its time limit, naming the holder), a holder killed
with SIGKILL leaves it free, and within one process it is re-entrant."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from adapters.store import Store
from adapters.store.publishing import StoreBusy
from tests.adapters.conftest import StoreFactory

HOLDER = """
import sys
from adapters.store import Store
store = Store.open(sys.argv[1])
with store.publishing():
    print("held", flush=True)
    sys.stdin.read()
"""


class Holder:
    """Another process holding the store's publisher lock until told to stop."""

    def __init__(self, dsn: str) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - the test's own script
            [sys.executable, "-c", HOLDER, dsn], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "held"

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=30) == 0
        self._close()

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def store(stores: StoreFactory) -> Iterator[Store]:
    yield stores.open("zj")


def test_another_process_holding_the_lock_makes_this_one_wait_then_give_up(
    store: Store, stores: StoreFactory, store_backend: str
) -> None:
    holder = Holder(stores.dsn("zj"))
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusy, match="is publishing for this province; gave up after 0.5 s") as refused:
            with store.publishing(wait=0.5):
                pytest.fail("the lock was taken while another process held it")
        assert time.monotonic() - started >= 0.5
        if store_backend == "sqlite":
            assert f"process {holder.process.pid}" in str(refused.value)
        else:
            assert "database session" in str(refused.value)
    finally:
        holder.stop()
    with store.publishing(wait=10):  # let go: free again
        pass


def test_while_one_thread_waits_for_the_lock_the_others_wait_no_longer_than_they_said(
    store: Store, stores: StoreFactory
) -> None:
    holder = Holder(stores.dsn("zj"))
    waiting = threading.Event()
    outcome: list[bool] = []

    def patient() -> None:  # waits as long as it takes
        waiting.set()
        with store.publishing() as taken:
            outcome.append(taken)

    thread = threading.Thread(target=patient, daemon=True)
    try:
        thread.start()
        waiting.wait(5)
        time.sleep(0.3)  # it is waiting for the other process now
        started = time.monotonic()
        with pytest.raises(StoreBusy, match="another thread of this process is waiting"):
            with store.publishing(wait=0):
                pytest.fail("taken while another process held it")
        assert time.monotonic() - started < 0.2  # at once, not behind the patient thread's wait
        assert outcome == []
    finally:
        holder.stop()
    thread.join(30)
    assert outcome == [True]  # the patient thread took it once the other process let go
    with store.publishing(wait=0) as taken:  # and let go again
        assert taken


def test_a_holder_killed_with_sigkill_leaves_the_lock_free(store: Store, stores: StoreFactory) -> None:
    holder = Holder(stores.dsn("zj"))
    holder.kill()
    with store.publishing(wait=10):
        pass


def test_within_one_process_the_lock_is_reentrant_and_shared(store: Store, stores: StoreFactory) -> None:
    other = Store.open(stores.dsn("zj"))  # another Store of the same database in this process
    try:
        with store.publishing(wait=0.1) as a, store.publishing(wait=0.1) as b, other.publishing(wait=0.1) as c:
            assert (a, b, c) == (True, False, False)  # taken once, then joined
            assert _try_elsewhere(stores.dsn("zj")) == 3  # held: another process gives up
        with store.publishing(wait=0.1) as again:
            assert again  # let go when the last user left, taken again
    finally:
        other.close()
    assert _try_elsewhere(stores.dsn("zj")) == 0


TRY = """
import sys
from adapters.store import Store
from adapters.store.publishing import StoreBusy
try:
    with Store.open(sys.argv[1]).publishing(wait=0.3):
        pass
except StoreBusy:
    sys.exit(3)
"""


def _try_elsewhere(dsn: str) -> int:
    """Exit code of another process taking the lock: 0 taken, 3 busy."""
    return subprocess.run([sys.executable, "-c", TRY, dsn], check=False, timeout=60).returncode  # noqa: S603
