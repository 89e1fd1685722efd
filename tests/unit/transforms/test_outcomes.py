import json

import pandas as pd

from transforms.check.outcomes import CountyOutcome
from transforms.findings import Finding
from transforms.ingest.readers import ReadResult, Signature

WARNING = Finding.about_rows(
    "capacity_pct_over_100", "warning", "产能恢复率超过100%", [4], ["120"], file_name="a.csv"
).explained_by(["新线投产"])
ERROR = Finding("ambiguous_submission", "error", "同一县（市、区）本期有2个文件")


def test_warnings_accept_errors_reject_and_the_counts_follow_the_findings():
    signed = ReadResult(pd.DataFrame(), (), Signature(filled_by="张三", contact_phone="0751"))
    accepted = CountyOutcome("440203", "武江区").decided(signed, [WARNING])
    assert (accepted.outcome, accepted.error_count, accepted.warning_count) == ("accepted", 0, 1)
    assert accepted.signature == Signature(filled_by="张三", contact_phone="0751")
    rejected = CountyOutcome("440203", "武江区").decided(None, [ERROR, WARNING])
    assert (rejected.outcome, rejected.error_count, rejected.signature) == ("rejected", 1, None)


def test_an_outcome_crosses_the_task_boundary_as_json_and_comes_back_equal():
    outcome = CountyOutcome(
        "440203",
        "武江区",
        "accepted",
        file_name="440203.xlsx",
        content_sha256="ab" * 32,
        arrived_at="2020-03-17T11:00:00+00:00",
        on_time=True,
        findings=(WARNING,),
        rows_path="/state/staging/daily/2020-03-17/440203.parquet",
        signature=Signature(unit_head="李四", reported_on="2020年3月17日"),
    )
    handed_on = json.loads(json.dumps(outcome.to_dict(), ensure_ascii=False))
    assert CountyOutcome.from_dict(handed_on) == outcome
    assert handed_on["findings"][0]["reason"] == WARNING.describe()
