"""The HTTP session every JSON-RPC caller of yrdx uses.

``requests`` reads the proxy settings from the environment again for every request when a
session trusts it; on a ledger endpoint that costs about a third of a small call. A session
from ``rpc_session`` resolves them once, for its endpoint, when it is made: ``HTTP_PROXY``,
``HTTPS_PROXY`` and ``NO_PROXY`` still apply as they were at that moment.
"""

from __future__ import annotations

import requests
from requests.utils import get_environ_proxies


def rpc_session(url: str) -> requests.Session:
    """A session for requests to ``url``, with the environment's proxies for it resolved now."""
    session = requests.Session()
    session.trust_env = False
    session.proxies.update(get_environ_proxies(url))
    return session
