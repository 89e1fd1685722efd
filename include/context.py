"""The run context: what a step needs to know about the deployment, read once per task.

A task builds it from the environment (`RunContext.from_env()`) and passes it down; nothing
below a step reads the environment or the city's TOML again. Tests build it directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.engine import Engine

from include import warehouse
from include.alerts import AlertSettings
from include.config import CityConfig, Settings, load_city_config


@dataclass(frozen=True)
class RunContext:
    city: CityConfig
    settings: Settings  # where the landing zone, the state, the publication and the warehouse are
    alerts: AlertSettings = field(default_factory=AlertSettings)  # where alerts go; none by default

    @cached_property
    def engine(self) -> Engine:
        return warehouse.engine_for(self.settings.warehouse_url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RunContext:
        env = os.environ if environ is None else environ
        return cls(
            load_city_config(env.get("CITYSTATS_CITY_CONFIG")),
            Settings.from_env(env),
            AlertSettings.from_env(env),
        )
