"""``EmbeddedLedger``: the durable py-evm ledger behind a JSON-RPC endpoint, start to stop."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from types import TracebackType

from eth_account.signers.local import LocalAccount

from node.dev_accounts import dev_accounts
from node.embedded.bootstrap import open_chain
from node.embedded.chain import BlockBuilder
from node.embedded.clock import DevClock
from node.embedded.miner import Miner
from node.embedded.rpc import Dispatcher
from node.embedded.rpc_chain import ChainMethods
from node.embedded.rpc_send import SendMethods
from node.embedded.rpc_state import StateMethods
from node.embedded.server import RpcServer
from node.embedded.store import MAX_LOGS_PER_BLOCK, LedgerStore
from node.embedded.txpool import TxPool
from node.embedded.view import ChainView
from node.errors import ConfigError

_MIN_BLOCK_GAS_LIMIT = 5_000  # py-evm's (and the yellow paper's) lower bound
_MAX_BLOCK_GAS_LIMIT = MAX_LOGS_PER_BLOCK * 375  # a log costs at least 375 gas: the log index holds any block


class EmbeddedLedger:
    """A durable single-machine ledger on py-evm, served over Ethereum JSON-RPC.

    Everything lives in one SQLite file in ``data_dir``; a block and its receipts are on disk
    before any receipt is served, so every receipted transaction survives ``kill -9``. The
    first ``accounts`` dev accounts of :data:`node.dev_accounts.DEV_MNEMONIC` are funded at
    genesis (10,000 ether each) and unlocked for ``eth_sendTransaction``; on an existing data
    dir they are only unlocked. ``chain_id`` and ``block_gas_limit`` are fixed at genesis and
    must match on restart. Blocks are mined as soon as transactions arrive (automine).

    ``with EmbeddedLedger(path) as ledger:`` starts it on a free local port.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        chain_id: int = 1337,
        accounts: int = 10,
        block_gas_limit: int = 60_000_000,
        max_logs: int = 100_000,
    ) -> None:
        if chain_id <= 0:
            raise ConfigError(f"chain id must be positive, got {chain_id}")
        if accounts < 0:
            raise ConfigError(f"account count must not be negative, got {accounts}")
        if not _MIN_BLOCK_GAS_LIMIT <= block_gas_limit <= _MAX_BLOCK_GAS_LIMIT:
            raise ConfigError(f"block gas limit must be within {_MIN_BLOCK_GAS_LIMIT}..{_MAX_BLOCK_GAS_LIMIT}")
        if max_logs < 1:
            raise ConfigError(f"max logs must be at least 1, got {max_logs}")
        self.data_dir = Path(data_dir)
        self.chain_id = chain_id
        self.block_gas_limit = block_gas_limit
        self.max_logs = max_logs
        self.accounts: list[LocalAccount] = dev_accounts(accounts)
        self._store: LedgerStore | None = None
        self._miner: Miner | None = None
        self._server: RpcServer | None = None

    @property
    def url(self) -> str:
        """The JSON-RPC endpoint; only while started."""
        if self._server is None:
            raise ConfigError("the embedded ledger is not started")
        return self._server.url

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Open the data dir (genesis on first use), start mining and serving; return the URL.

        ``port`` 0 picks a free port. Raises :class:`node.errors.LedgerStoreError` for a
        corrupt or foreign data dir, :class:`node.errors.ConfigError` for a port in use.
        """
        if self._server is not None:
            raise ConfigError(f"the embedded ledger is already serving {self._server.url}")
        store = LedgerStore.open(self.data_dir)
        try:
            head, settings = open_chain(
                store,
                chain_id=self.chain_id,
                funded=[bytes.fromhex(a.address[2:]) for a in self.accounts],
                block_gas_limit=self.block_gas_limit,
                settings=DevClock().settings(),
            )
            pool = TxPool()
            miner = Miner(
                store=store,
                builder=BlockBuilder(db=store.kv, chain_id=self.chain_id),
                pool=pool,
                clock=DevClock.from_settings(settings),
                head=head,
            )
            view = ChainView(store=store, chain_id=self.chain_id)
            addresses = [bytes.fromhex(a.address[2:]) for a in self.accounts]
            state = StateMethods(
                view=view,
                pool=pool,
                miner=miner,
                accounts=addresses,
                client_version=_client_version(),
            )
            methods = {
                **state.methods(),
                **ChainMethods(view=view, pool=pool, max_logs=self.max_logs).methods(),
                **SendMethods(view=view, pool=pool, miner=miner, state=state, accounts=self.accounts).methods(),
            }
            server = RpcServer(host=host, port=port, dispatcher=Dispatcher(methods=methods))
        except BaseException:
            store.close()
            raise
        miner.start()
        server.start()
        self._store, self._miner, self._server = store, miner, server
        return server.url

    def stop(self) -> None:
        """Stop serving, let the miner finish its block, close the data dir. Idempotent."""
        server, miner, store = self._server, self._miner, self._store
        self._server = self._miner = self._store = None
        if server is not None:
            server.stop()
        if miner is not None:
            miner.stop()
        if store is not None:
            store.close()

    def __enter__(self) -> EmbeddedLedger:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _client_version() -> str:
    try:
        version = metadata.version("yrdx")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"yrdx-embedded/v{version}/py-evm"
