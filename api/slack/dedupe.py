"""Never answer twice: a key (an event id, a channel + message timestamp) is claimed once.

Slack retries an event it thinks was missed (``X-Slack-Retry-Num``, same ``event_id``), and a
mention in a channel arrives twice, as ``app_mention`` and as ``message`` (two event ids, one
message). Claims live in SQLite, so they hold across threads, worker processes and restarts;
``INSERT OR IGNORE`` makes a claim atomic. Claims older than ``ttl_s`` are swept.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

_SCHEMA = "CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at REAL NOT NULL)"


class Deduper:
    def __init__(self, path: Path, ttl_s: float = 3600.0) -> None:
        self.path = path
        self.ttl_s = ttl_s
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def claim(self, key: str) -> bool:
        """True for the first caller with ``key`` (within the TTL), False for every other."""
        now = time.time()
        db = self._connect()
        try:
            with db:
                db.execute("DELETE FROM seen WHERE at < ?", (now - self.ttl_s,))
                cur = db.execute("INSERT OR IGNORE INTO seen (key, at) VALUES (?, ?)", (key, now))
                return cur.rowcount == 1
        finally:
            db.close()
