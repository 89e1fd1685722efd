"""
### citystats_approval

**What it does.** Records that a published period is approved (审定) or unlocked, in the
warehouse table `period_approvals` (who, which revision, when), then publishes the period
again so that its report and the index say "已审定" or "待审定".

An approved period is locked: a county's resubmission is still received and checked by the
daily or quarterly DAG, but held (`held_submissions`), not merged or published; its report
lists it and an alert says a correction awaits unlocking. After an unlock, the next run of
the period (the nightly look-back, or a rerun) publishes the next revision, which then
awaits approval again.

**Run it.** Trigger with conf
`{"period": "2020-03-17", "action": "approve", "by": "张三"}` (a quarter: `"2020Q2"`;
`"action": "unlock"` to unlock), or from a shell `make approve PERIOD=2020-03-17 BY=张三`
and `make unlock PERIOD=2020-03-17 BY=张三`. A refused action (nothing published, already
approved by someone else, not approved) fails the task with the reason. **Rerun** a run
freely: the same action by the same person on the same revision is recorded once, and the
period is published again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task

from include.alerts import TaskFailureNotifier


@dag(
    dag_id="citystats_approval",
    schedule=None,
    start_date=datetime(2020, 1, 1),
    catchup=False,
    default_args={
        "owner": "citystats",
        "retries": 1,
        "retry_delay": timedelta(minutes=1),
        "on_failure_callback": TaskFailureNotifier(),
    },
    params={
        "period": Param(
            "", type="string", description="data date (2020-03-17) or quarter (2020Q2)"
        ),
        "action": Param("approve", enum=["approve", "unlock"]),
        "by": Param("", type="string", description="who approves or unlocks"),
    },
    tags=["citystats", "approval"],
    doc_md=__doc__,
)
def citystats_approval():
    @task
    def record_approval(params=None) -> str:
        from include import approval_pipeline
        from include.context import RunContext

        return approval_pipeline.approve_or_unlock_requested(RunContext.from_env(), params)

    record_approval()


citystats_approval()
