"""The JSON the API returns and accepts (its OpenAPI schema at ``/docs`` is built from
these); field names are stable for scripts."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from reelgraph.review.decisions import NOTE_LIMIT


class ShotSummary(BaseModel):
    id: str
    scene: str
    source: str
    status: str = Field(description="not rendered, failed, rendered, qc failed, approved, rejected")
    review: Literal["approved", "rejected", "pending"]
    qc: Literal["pass", "warn", "fail", "none"]
    findings: int
    cost_usd: float
    version: int = Field(description="1 for the shot's first master, 2 after a re-render…")
    master_key: str | None
    run_id: int | None


class Finding(BaseModel):
    check: str
    severity: str
    start_frame: int | None
    end_frame: int | None
    start_tc: str | None
    end_tc: str | None
    value: float | None
    limit: float | None
    standard: str | None
    message: str | None


class PlanNode(BaseModel):
    node: str
    agent: str
    outcome: str
    reason: str = Field(description="why it ended as it did (failure, skip), from the run")
    why: str = Field(description="the planner's explanation of the node and its parameters")
    cost_usd: float
    estimate_usd: float
    key: str | None


class HistoryItem(BaseModel):
    kind: Literal["decision", "note"]
    decision: str | None
    key: str | None
    text: str
    by: str
    at: str


class ShotDetail(ShotSummary):
    master_sha256: str | None
    frames: int
    frame_rate: str
    width: int
    height: int
    start_frame: int
    end_frame: int
    variables: dict[str, Any]
    findings_list: list[Finding]
    nodes: list[PlanNode]
    history: list[HistoryItem]


class ReviewIn(BaseModel):
    decision: Literal["approve", "reject"]
    note: str = Field("", max_length=NOTE_LIMIT)


class ReviewOut(BaseModel):
    shot: str
    review: Literal["approved", "rejected", "pending"]
    key: str
    sha256: str | None
    by: str


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=NOTE_LIMIT)


class VariableIn(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    value: str | int | float | bool
    rerun: bool = Field(False, description="start a run at once to re-render what reads it")


class VariableOut(BaseModel):
    scene: str
    name: str
    value: str | int | float | bool
    run_started: bool


class RunOut(BaseModel):
    id: int
    status: str
    started_at: str
    finished_at: str | None
    executor: str
    nodes: int
    ran: int
    cached: int
    failed: int
    skipped: int
    cost_usd: float
    estimate_usd: float
    budget_usd: float | None
    cost_per_finished_minute_usd: float | None


class RunStarted(BaseModel):
    started: bool
    pid: int
