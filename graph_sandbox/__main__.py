"""``python -m graph_sandbox``: serve the sandbox with settings from ``GRAPH_SANDBOX_*``."""

from __future__ import annotations

import logging
import re

import uvicorn
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph_sandbox.app import create_app
from graph_sandbox.config import SandboxConfig

# Graph takes tokens and secrets in the query string (debug_token, oauth/access_token,
# ?access_token=): the access log must not write them out.
_SECRET_PARAMS = re.compile(
    r"((?:access_token|input_token|fb_exchange_token|client_secret|hub\.verify_token)=)[^&\s]*"
)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SECRET_PARAMS.sub(r"\1<redacted>", a) if isinstance(a, str) else a
                for a in record.args
            )
        return True


class SandboxSettings(SandboxConfig, BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRAPH_SANDBOX_", frozen=True)

    host: str = "127.0.0.1"
    port: int = 8081


def main() -> None:
    settings = SandboxSettings()  # type: ignore[call-arg]  # fields come from the environment
    config = SandboxConfig.model_validate(settings.model_dump(exclude={"host", "port"}))
    server_config = uvicorn.Config(
        create_app(config), host=settings.host, port=settings.port, log_level="info"
    )
    # After uvicorn.Config: it (re)configures its loggers when it is built.
    logging.getLogger("uvicorn.access").addFilter(RedactSecrets())
    uvicorn.Server(server_config).run()


if __name__ == "__main__":
    main()
