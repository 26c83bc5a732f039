"""A pydantic v2 model of the run that the kit certifies, datetime limits declared."""

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
)


class InngestRun(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    run_id: str
    function_id: str
    # May be absent, never null: a default that is not validated, and no `| None`.
    app_id: str = Field(default=None, validate_default=False)
    status: Literal["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "PAUSED"]
    event_id: str = Field(default=None, validate_default=False)
    output: dict[str, Any] = Field(default=None, validate_default=False)
    # Not strict: pydantic parses the text, once the check below has let it through.
    started_at: datetime = Field(default=None, validate_default=False, strict=False)
    ended_at: datetime = Field(default=None, validate_default=False, strict=False)

    @field_validator("started_at", "ended_at", mode="before")
    @classmethod
    def rfc3339_text(cls, value: Any) -> Any:
        # pydantic also takes numbers, "2024-01-01 12:00:00" and "+0530"; the schema does not.
        if not isinstance(value, str) or not RFC3339.fullmatch(value):
            raise ValueError("not an RFC 3339 date-time")
        return value
