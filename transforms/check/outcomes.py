"""What the checks decided: per county as it travels from check to stage (`CountyOutcome`),
and per period as the warehouse holds it for the publication (`PeriodOutcomes`).

Only the task boundary turns a `CountyOutcome` into a small dict (XCom) and back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from transforms.findings import Finding, has_errors
from transforms.ingest.readers import ReadResult, Signature
from transforms.merge.daily import ACCEPTED, MISSING, REJECTED


@dataclass(frozen=True)
class CountyOutcome:
    county_code: str
    county_name: str
    outcome: str = MISSING  # accepted, rejected or missing: the submissions_log column
    file_name: str | None = None  # every entry of the county, comma-separated
    content_sha256: str | None = None  # the fingerprint a resubmission is noticed by
    arrived_at: str | None = None  # ISO time of the latest file
    on_time: bool | None = None
    findings: tuple[Finding, ...] = ()
    rows_path: str | None = None  # accepted rows, staged as parquet under the state folder
    signature: Signature | None = None  # None when the form has no signature block

    @property
    def error_count(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warning_count(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)

    def decided(self, parsed: ReadResult | None, findings: list[Finding]) -> CountyOutcome:
        """The outcome with what its checks decide: accepted or rejected, every finding,
        the signature block of its form."""
        signed = parsed is not None and not parsed.signature.is_empty
        return replace(
            self,
            outcome=ACCEPTED if parsed is not None and not has_errors(findings) else REJECTED,
            findings=tuple(findings),
            signature=parsed.signature if signed else None,
        )

    def to_dict(self) -> dict:
        return {
            "county_code": self.county_code,
            "county_name": self.county_name,
            "outcome": self.outcome,
            "file_name": self.file_name,
            "content_sha256": self.content_sha256,
            "arrived_at": self.arrived_at,
            "on_time": self.on_time,
            "rows_path": self.rows_path,
            "findings": [f.to_dict() for f in self.findings],
            "signature": None if self.signature is None else self.signature.to_dict(),
            "error_count": self.error_count,
            "warning_count": self.warning_count,
        }

    @classmethod
    def from_dict(cls, data: dict) -> CountyOutcome:
        signature = data.get("signature")
        return cls(
            county_code=data["county_code"],
            county_name=data["county_name"],
            outcome=data["outcome"],
            file_name=data.get("file_name"),
            content_sha256=data.get("content_sha256"),
            arrived_at=data.get("arrived_at"),
            on_time=data.get("on_time"),
            findings=tuple(Finding.from_dict(f) for f in data.get("findings", ())),
            rows_path=data.get("rows_path"),
            signature=None if signature is None else Signature(**signature),
        )


@dataclass(frozen=True)
class PeriodOutcomes:
    """A period's outcomes as staged: each configured county's, in the configured order, and
    the findings about the period's files that belong to no county (retired codes, bad names).
    """

    counties: tuple[CountyOutcome, ...]
    stray: tuple[Finding, ...] = ()

    @property
    def on_time_by_county(self) -> dict[str, bool | None]:
        return {o.county_code: o.on_time for o in self.counties}
