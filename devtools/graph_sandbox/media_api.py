"""Media endpoints: upload, retrieve URL, delete, and the lookaside download itself."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import FormData, UploadFile

from graph_sandbox.access import may_read_phone, phone_for_messaging
from graph_sandbox.accounts import Principal
from graph_sandbox.errors import (
    GraphError,
    invalid_parameter,
    lookaside_not_found,
    unknown_object,
)
from graph_sandbox.media import SUPPORTED_TYPES, StoredMedia
from graph_sandbox.state import Authorized, PrincipalDep, Sandbox, SandboxDep, Versioned

graph = APIRouter(dependencies=[Versioned, Authorized])
lookaside = APIRouter(dependencies=[Authorized])


def _media_for(
    sandbox: Sandbox, principal: Principal, media_id: str, request: Request
) -> StoredMedia:
    media = sandbox.media.get(media_id)
    # Optional ?phone_number_id= makes Meta check the media belongs to that number.
    owner = request.query_params.get("phone_number_id")
    if (
        media is None
        or (owner is not None and owner != media.phone_number_id)
        or not may_read_phone(sandbox, principal, media.phone_number_id)
    ):
        raise unknown_object(media_id, request.method)
    return media


async def read_upload(request: Request) -> tuple[bytes, str, str | None]:
    """Parse and validate Meta's multipart upload: ``file``, ``type``, ``messaging_product``."""
    try:
        async with request.form() as form:
            return await _validate_upload(form)
    except GraphError:
        raise
    except Exception as exc:  # malformed multipart: python-multipart raises several types
        raise invalid_parameter(f"Could not parse the multipart body: {exc}") from exc


async def _validate_upload(form: FormData) -> tuple[bytes, str, str | None]:
    if form.get("messaging_product") != "whatsapp":
        raise invalid_parameter("The parameter messaging_product is required and must be whatsapp.")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise invalid_parameter("The parameter file is required.")
    mime_type = form.get("type")
    if not isinstance(mime_type, str) or not mime_type:
        raise invalid_parameter("The parameter type is required.")
    if mime_type not in SUPPORTED_TYPES:
        allowed = ", ".join(SUPPORTED_TYPES)
        raise invalid_parameter(
            f"Param file must be a file with one of the following types: {allowed}."
        )
    data = await upload.read()
    kind, limit = SUPPORTED_TYPES[mime_type]
    if not data:
        raise invalid_parameter("Param file must not be empty.")
    if len(data) > limit:
        raise GraphError(
            400,
            131053,
            "(#131053) Media upload error",
            details=f"File size {len(data)} exceeds the {limit} byte limit for {kind} media.",
        )
    return data, mime_type, upload.filename


@graph.post("/{version}/{phone_number_id}/media")
async def upload_media(
    phone_number_id: str, request: Request, sandbox: SandboxDep, principal: PrincipalDep
) -> dict[str, str]:
    phone_for_messaging(sandbox, principal, phone_number_id, "post")
    await sandbox.faults.trigger("media_upload", method="POST", object_id=phone_number_id)
    data, mime_type, filename = await read_upload(request)
    media = sandbox.media.add(data, mime_type, phone_number_id, filename)
    return {"id": media.id}


async def retrieve_media_url(
    media_id: str, request: Request, sandbox: Sandbox, principal: Principal
) -> dict[str, Any]:
    """``GET /{version}/{media-id}``; routed here by ``phone_numbers_api.get_node``."""
    await sandbox.faults.trigger("media", method="GET", object_id=media_id)
    media = _media_for(sandbox, principal, media_id, request)
    return media.metadata(sandbox.media.issue_url(media, sandbox.config.public_url))


@graph.delete("/{version}/{media_id}")
async def delete_media(
    media_id: str, request: Request, sandbox: SandboxDep, principal: PrincipalDep
) -> dict[str, bool]:
    await sandbox.faults.trigger("media", method="DELETE", object_id=media_id)
    media = _media_for(sandbox, principal, media_id, request)
    sandbox.media.delete(media.id)
    return {"success": True}


@lookaside.get("/whatsapp_business/attachments/")
async def download_media(
    sandbox: SandboxDep, principal: PrincipalDep, mid: str = "", hash: str = "", ext: str = ""
) -> Response:
    spec = await sandbox.faults.trigger("media_download", method="GET", object_id=mid or None)
    media = sandbox.media.resolve(mid, hash)
    if media is None or not may_read_phone(sandbox, principal, media.phone_number_id):
        raise lookaside_not_found()
    data = media.data
    if spec is not None and spec.corrupt:
        data = bytes([data[0] ^ 0xFF]) + data[1:]
    return Response(content=data, media_type=media.mime_type)
