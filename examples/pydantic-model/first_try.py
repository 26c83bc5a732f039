"""The run as a first pydantic v2 model: what the kit finds in it."""

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict


class InngestRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: str
    function_id: str
    app_id: Optional[str] = None
    status: Literal["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "PAUSED"]
    event_id: Optional[str] = None
    output: Optional[dict] = None
    started_at: Optional[datetime] = None
    ended_at: Optional[datetime] = None
