"""Approval (审定) and locking of published periods, read and recorded in the warehouse.

Once the city's leaders have read a period's report, an operator approves it (`make approve
PERIOD=…`, or the `citystats_approval` DAG). While the period's latest event is an approval,
the period is locked: a county's resubmission is still received and checked, but kept in
`held_submissions` instead of being staged, merged and published. Unlocking lets the next
run stage it and publish the next revision, which then awaits approval again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Connection, func, insert, select

from include import warehouse
from include.tables import held_submissions, period_approvals, publications
from transforms.periods import QUARTER

APPROVE, UNLOCK = "approve", "unlock"
ACTIONS = (APPROVE, UNLOCK)


def kind_of_period(period: str) -> str:
    """daily for a data date (2020-03-17), quarterly for a quarter (2020Q2)."""
    if QUARTER.match(period):
        return "quarterly"
    try:
        date.fromisoformat(period)
    except ValueError:
        raise ValueError(
            f"{period!r} is neither a data date (2020-03-17) nor a quarter (2020Q2)"
        ) from None
    return "daily"


@dataclass(frozen=True)
class ApprovalEvent:
    kind: str
    period: str
    sequence: int
    action: str
    revision: int
    actor: str
    recorded_at: datetime

    @property
    def locks(self) -> bool:
        return self.action == APPROVE

    def label(self) -> str:
        """What the reports and the index say about the period."""
        if self.locks:
            return f"已审定（{self.actor}审定第{self.revision}版）"
        return f"待审定（{self.actor}已解锁第{self.revision}版，修订后需重新审定）"


def latest_event(connection: Connection, kind: str, period: str) -> ApprovalEvent | None:
    """The period's latest approve or unlock; None when it was never approved."""
    table = period_approvals.c
    row = (
        connection.execute(
            select(period_approvals)
            .where(table.kind == kind, table.period == period)
            .order_by(table.sequence.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return None if row is None else _event(row)


def approval_of(connection: Connection, kind: str, period: str) -> ApprovalEvent | None:
    """The approval locking the period, or None when it is not locked."""
    event = latest_event(connection, kind, period)
    return event if event is not None and event.locks else None


def latest_events(connection: Connection, kind: str | None = None) -> dict:
    """(kind, period) → its latest event, for every period ever approved (the index)."""
    table = period_approvals.c
    newest = (
        select(table.kind, table.period, func.max(table.sequence).label("sequence"))
        .group_by(table.kind, table.period)
        .subquery()
    )
    query = select(period_approvals).join(
        newest,
        (table.kind == newest.c.kind)
        & (table.period == newest.c.period)
        & (table.sequence == newest.c.sequence),
    )
    if kind is not None:
        query = query.where(table.kind == kind)
    return {(r["kind"], r["period"]): _event(r) for r in connection.execute(query).mappings()}


def _event(row) -> ApprovalEvent:
    return ApprovalEvent(
        kind=row["kind"],
        period=row["period"],
        sequence=int(row["sequence"]),
        action=row["action"],
        revision=int(row["revision"]),
        actor=row["actor"],
        recorded_at=pd.Timestamp(row["recorded_at"]).to_pydatetime(),
    )


class ApprovalRefused(ValueError):
    """The action does not apply to the period as it stands (the message says why)."""


def record(
    connection: Connection, kind: str, period: str, action: str, actor: str, at: datetime
) -> ApprovalEvent:
    """Record `action` on the period's published revision. Approving needs a publication and
    an unlocked period; unlocking needs an approved one. Repeating the latest action by the
    same person on the same revision records nothing more."""
    if action not in ACTIONS:
        raise ApprovalRefused(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
    if not actor.strip():
        raise ApprovalRefused("say who approves or unlocks (BY=<name>)")
    revision = connection.execute(
        select(publications.c.revision).where(
            publications.c.kind == kind, publications.c.period == period
        )
    ).scalar()
    if revision is None:
        raise ApprovalRefused(f"{kind} {period} has not been published: nothing to approve")
    current = latest_event(connection, kind, period)
    if current is not None and (current.action, current.actor, current.revision) == (
        action,
        actor.strip(),
        int(revision),
    ):
        return current  # the same action again (a retried task): already recorded
    locked = current is not None and current.locks
    if action == APPROVE and locked:
        raise ApprovalRefused(f"{kind} {period} is already approved: {current.label()}")
    if action == UNLOCK and not locked:
        raise ApprovalRefused(f"{kind} {period} is not approved: nothing to unlock")
    event = ApprovalEvent(
        kind=kind,
        period=period,
        sequence=(current.sequence if current else 0) + 1,
        action=action,
        revision=int(revision),
        actor=actor.strip(),
        recorded_at=at,
    )
    connection.execute(
        insert(period_approvals),
        {
            "kind": kind,
            "period": period,
            "sequence": event.sequence,
            "action": action,
            "revision": event.revision,
            "actor": event.actor,
            "recorded_at": at,
        },
    )
    return event


def hold(
    connection: Connection,
    kind: str,
    period: str,
    log_rows: pd.DataFrame,
    processed: dict[str, str | None],
) -> list[str]:
    """Keep the submissions whose content differs from what the approved period was made
    from as the period's held submissions. `log_rows`: the `submissions_log` rows this run
    would have staged; `processed`: county → content sha256 in the period's log. Return the
    counties newly held (not held with this content before)."""
    before = dict(
        connection.execute(
            select(held_submissions.c.county_code, held_submissions.c.content_sha256).where(
                held_submissions.c.kind == kind, held_submissions.c.period == period
            )
        ).all()
    )
    # A county with no file has no content on either side (None, not a difference).
    made_from = log_rows["county_code"].map(processed).fillna("")
    changed = log_rows[log_rows["content_sha256"].fillna("") != made_from]
    rows = changed[[c.name for c in held_submissions.columns]]
    warehouse.replace_partition(
        connection, held_submissions, {"kind": kind, "period": period}, rows
    )
    return [
        code
        for code, content in zip(changed["county_code"], changed["content_sha256"], strict=True)
        if before.get(code) != content
    ]


def held(connection: Connection, kind: str, period: str) -> pd.DataFrame:
    return warehouse.read_partition(
        connection, held_submissions, {"kind": kind, "period": period}, order_by=["county_code"]
    )
