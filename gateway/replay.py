"""``SqlReplayStore``: the ``tokens.ReplayStore`` of a gateway, in its database, so that a
client assertion's ``jti`` stays used across a restart (RFC 7523 section 3, item 7)."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.exc import IntegrityError

from gateway.db import run
from gateway.schema import assertion_ids

_PURGE_EVERY = 256


class SqlReplayStore:
    """Assertion ids in the ``assertion_ids`` table; the primary key makes ``first_use`` atomic
    across threads and processes. Expired ids are purged now and then."""

    def __init__(self, *, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._uses = 0

    def first_use(self, key: str, *, expires_at: dt.datetime, now: dt.datetime) -> bool:
        a = assertion_ids
        with self._lock:
            self._uses += 1
            purge = self._uses % _PURGE_EVERY == 0

        def use(conn: Connection) -> bool:
            if purge:
                conn.execute(delete(a).where(a.c.expires_at <= int(now.timestamp())))
            row = conn.execute(select(a.c.expires_at).where(a.c.key == key)).first()
            if row is not None:
                if int(row[0]) > int(now.timestamp()):
                    return False
                conn.execute(delete(a).where(a.c.key == key))
            conn.execute(a.insert().values(key=key, expires_at=int(expires_at.timestamp()) + 1))
            return True

        try:
            return run(self._engine, "remember a client assertion", use, write=True)
        except IntegrityError:
            return False  # another thread or process inserted the same key first
