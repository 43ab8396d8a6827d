"""The admin send's dependencies, from what the lifespan put on ``app.state``; tests can
swap any of them with ``app.dependency_overrides``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from gateway.admin.channels import Channels
from gateway.admin.service import AdminSender
from gateway.deps import SettingsDep
from gateway.metrics import graph_call
from whatsapp_cloud.client import GraphClient

# async: a plain def dependency would hop to the thread pool on every request


async def get_sessions(request: Request) -> sessionmaker[Session]:
    return request.app.state.sessions  # type: ignore[no-any-return]


async def get_graph(request: Request) -> GraphClient:
    return request.app.state.graph  # type: ignore[no-any-return]


async def get_channels(
    request: Request,
    graph: Annotated[GraphClient, Depends(get_graph)],
    settings: SettingsDep,
) -> Channels:
    # The registry as the lifespan opened it (None without IBBASE_CHANNELS_DIR).
    registry = getattr(request.app.state, "channels", None)
    return Channels(graph, settings.whatsapp_phone_id, registry, on_call=graph_call)


async def get_admin_sender(
    sessions: Annotated[sessionmaker[Session], Depends(get_sessions)],
    channels: Annotated[Channels, Depends(get_channels)],
) -> AdminSender:
    return AdminSender(sessions, channels)


AdminSenderDep = Annotated[AdminSender, Depends(get_admin_sender)]
