"""``python -m graph_sandbox``: serve the sandbox with settings from ``GRAPH_SANDBOX_*``."""

from __future__ import annotations

import uvicorn
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph_sandbox.app import create_app
from graph_sandbox.config import SandboxConfig


class SandboxSettings(SandboxConfig, BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRAPH_SANDBOX_", frozen=True)

    host: str = "127.0.0.1"
    port: int = 8081


def main() -> None:
    settings = SandboxSettings()  # type: ignore[call-arg]  # fields come from the environment
    config = SandboxConfig.model_validate(settings.model_dump(exclude={"host", "port"}))
    uvicorn.run(create_app(config), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
