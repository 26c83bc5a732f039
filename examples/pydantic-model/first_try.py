"""The run as a first pydantic v2 model: what the kit finds in it."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class InngestRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: str
    function_id: str
    app_id: str | None = None
    status: Literal["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "PAUSED"]
    event_id: str | None = None
    output: dict | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
