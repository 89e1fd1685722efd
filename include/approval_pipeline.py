"""The step of `citystats_approval` and of `make approve` / `make unlock`: record who approved
or unlocked which revision of a period, then publish the period again so that its report
and the index say so."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from include import approval, daily_pipeline, quarterly_pipeline, submissions, warehouse
from include.approval import ApprovalEvent, ApprovalRefused
from include.context import RunContext


def approve_or_unlock(
    run: RunContext, period: str, action: str, actor: str, at: datetime
) -> ApprovalEvent:
    """Record `action` ("approve" or "unlock") on the period's published revision. Taken
    under the period's rows lock, so that a run staging the period at that moment either
    finishes before (and is approved with it) or sees the lock and holds its files."""
    kind = approval.kind_of_period(period)
    with warehouse.locked(run.engine, submissions.rows_lock(kind, period)) as connection:
        event = approval.record(connection, kind, period, action, actor, at)
    if kind == daily_pipeline.DAILY.name:
        daily_pipeline.publish_daily(run, period)
    else:
        quarterly_pipeline.publish_quarterly(run, period)
    return event


def approve_or_unlock_requested(run: RunContext, request: Mapping[str, str]) -> str:
    """The `citystats_approval` task: `approve_or_unlock` for the run's `period`, `action` and
    `by`, recorded as of now; return what the reports now say. A refused action fails the
    task at once (a retry would be refused again)."""
    from airflow.sdk.exceptions import AirflowFailException

    try:
        event = approve_or_unlock(
            run, request["period"], request["action"], request["by"], datetime.now(UTC)
        )
    except ApprovalRefused as refused:
        raise AirflowFailException(str(refused)) from refused
    return f"{event.kind} {event.period}: {event.label()}"
