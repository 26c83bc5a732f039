"""A small run store on sqlite: the lifecycle role the kit certifies."""

import json
import sqlite3
from typing import Any

from run_model import InngestRun

LEGAL = {
    "QUEUED": {"RUNNING", "CANCELLED"},
    "RUNNING": {"PAUSED", "COMPLETED", "FAILED", "CANCELLED"},
    "PAUSED": {"RUNNING", "CANCELLED"},
}
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


class RunStore:
    def __init__(self, path: str = ":memory:") -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, doc TEXT)")

    def reset(self) -> None:
        self.db.execute("DELETE FROM runs")

    def create(self, record: dict[str, Any]) -> dict[str, Any]:
        InngestRun.model_validate(record)  # a ValidationError is a ValueError: a refusal
        if record["status"] != "QUEUED":
            raise ValueError("a new run is QUEUED")
        self.db.execute("INSERT INTO runs VALUES (?, ?)", (record["run_id"], json.dumps(record)))
        return record

    def get(self, run_id: str) -> dict[str, Any]:
        row = self.db.execute("SELECT doc FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise ValueError(f"no run {run_id!r}")
        return json.loads(row[0])

    def transition(
        self, run_id: str, status: str, at: str, output: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        run = self.get(run_id)
        if status not in LEGAL.get(run["status"], ()):
            raise ValueError(f"{run['status']} -> {status} is not allowed")
        run["status"] = status
        if status == "RUNNING":
            run.setdefault("started_at", at)
        if status in TERMINAL:
            run["ended_at"] = at
        if status == "COMPLETED" and output is not None:
            run["output"] = output
        self.db.execute("UPDATE runs SET doc = ? WHERE run_id = ?", (json.dumps(run), run_id))
        return run


store = RunStore()
