"""What the bot said, and what people thought of it, in SQLite.

Every answer posted is stored with its question, thread, history and citations: a thread's
earlier answers are the history of a follow-up, a button's value is an answer's id, and a 👎
is exported for review in the gold JSONL format (``eval/schema.py``).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from rag.conversation import Turn
from rag.types import Answer, Citation

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, channel TEXT NOT NULL,
    thread_ts TEXT, user TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL,
    abstained INTEGER NOT NULL, partial INTEGER NOT NULL, fallback INTEGER NOT NULL,
    citations TEXT NOT NULL, history TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS answers_thread ON answers (channel, thread_ts);
CREATE TABLE IF NOT EXISTS votes (
    answer_id INTEGER NOT NULL REFERENCES answers (id), user TEXT NOT NULL,
    vote INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY (answer_id, user));
"""


@dataclass
class StoredAnswer:
    """An answer as posted; it has the fields formatting reads from an ``Answer``."""

    id: int
    channel: str
    thread_ts: str | None
    user: str
    question: str
    answer: str
    abstained: bool
    partial: bool
    fallback: bool
    citations: list[Citation]
    history: list[Turn] = field(default_factory=list)


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        db = self._connect()
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def save(
        self,
        *,
        channel: str,
        thread_ts: str | None,
        user: str,
        question: str,
        answer: Answer,
        history: list[Turn],
    ) -> int:
        db = self._connect()
        try:
            with db:
                cur = db.execute(
                    "INSERT INTO answers (at, channel, thread_ts, user, question, answer, "
                    "abstained, partial, fallback, citations, history) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        time.time(), channel, thread_ts, user, question, answer.answer,
                        int(answer.abstained), int(answer.partial), int(answer.fallback),
                        json.dumps([c.model_dump(mode="json") for c in answer.citations]),
                        json.dumps([t.model_dump() for t in history]),
                    ),
                )  # fmt: skip
                return int(cur.lastrowid or 0)
        finally:
            db.close()

    @staticmethod
    def _row(row: sqlite3.Row) -> StoredAnswer:
        return StoredAnswer(
            id=row["id"],
            channel=row["channel"],
            thread_ts=row["thread_ts"],
            user=row["user"],
            question=row["question"],
            answer=row["answer"],
            abstained=bool(row["abstained"]),
            partial=bool(row["partial"]),
            fallback=bool(row["fallback"]),
            citations=[Citation.model_validate(c) for c in json.loads(row["citations"])],
            history=[Turn.model_validate(t) for t in json.loads(row["history"])],
        )

    def get(self, answer_id: int) -> StoredAnswer | None:
        rows = self._query("SELECT * FROM answers WHERE id = ?", (answer_id,))
        return self._row(rows[0]) if rows else None

    def thread(self, channel: str, thread_ts: str) -> list[StoredAnswer]:
        """The answers already posted in a thread, oldest first."""
        rows = self._query(
            "SELECT * FROM answers WHERE channel = ? AND thread_ts = ? ORDER BY id",
            (channel, thread_ts),
        )
        return [self._row(r) for r in rows]

    def vote(self, answer_id: int, user: str, vote: int) -> bool:
        """Record (or change) ``user``'s vote, +1 or -1; False for an unknown answer."""
        db = self._connect()
        try:
            with db:
                if (
                    db.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone()
                    is None
                ):
                    return False
                db.execute(
                    "INSERT OR REPLACE INTO votes (answer_id, user, vote, at) VALUES (?, ?, ?, ?)",
                    (answer_id, user, 1 if vote > 0 else -1, time.time()),
                )
                return True
        finally:
            db.close()

    def votes(self, answer_id: int) -> dict[str, int]:
        rows = self._query("SELECT user, vote FROM votes WHERE answer_id = ?", (answer_id,))
        return {r["user"]: r["vote"] for r in rows}

    def downvoted(self) -> list[StoredAnswer]:
        rows = self._query(
            "SELECT * FROM answers WHERE id IN (SELECT answer_id FROM votes WHERE vote < 0) "
            "ORDER BY id"
        )
        return [self._row(r) for r in rows]


def gold_draft(stored: StoredAnswer) -> dict[str, object]:
    """A 👎 answer as a gold case to review: what the bot said and cited, with ``must_contain``
    and ``must_not_contain`` left for the reviewer (an abstention becomes an ``unanswerable``
    draft)."""
    docs = list(dict.fromkeys(c.doc_id for c in stored.citations))
    answerable = not stored.abstained
    return {
        "id": f"slack-{stored.id}",
        "question": stored.question,
        "answer": stored.answer if answerable else "",
        "must_contain": [],
        "must_not_contain": [],
        "doc_ids": docs if answerable else [],
        "quotes": [c.quote for c in stored.citations] if answerable else [],
        "type": ("multi" if len(docs) > 1 else "single") if answerable else "unanswerable",
        "answerable": answerable,
        "split": "dev",
        "history": [t.model_dump() for t in stored.history],
    }


def export_feedback(store: FeedbackStore, out: Path) -> int:
    """Write every 👎 answer as one gold JSON line to ``out``; the number written."""
    drafts = [gold_draft(s) for s in store.downvoted()]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in drafts), encoding="utf-8"
    )
    return len(drafts)
