"""OptiSigns control API, for tests and demos (mounted at ``/_emulator/optisigns``): the account's state, bench
screens, screens going on or offline, screens waiting to be paired, API keys with chosen scopes, assets
finishing conversion, and the files behind assets (so the page can show the pictures)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from signs_emulator.credentials import OPTISIGNS_ALL_SCOPES, OPTISIGNS_DEFAULT_TEAM_ID
from signs_emulator.optisigns.emulator import State

router = APIRouter()


class AddScreens(BaseModel):
    """Body of ``POST /_emulator/optisigns/screens``."""

    count: int = Field(1, ge=1, le=10_000)
    tags: list[str] = Field(default_factory=lambda: ["bench"])
    path: str = "/Bench"
    online: bool = True
    name_prefix: str = "Bench Screen"
    team_id: str = OPTISIGNS_DEFAULT_TEAM_ID


class SetOnline(BaseModel):
    """Body of ``POST /_emulator/optisigns/screens/{id}/online``."""

    online: bool


class AddPairingCode(BaseModel):
    """Body of ``POST /_emulator/optisigns/pairing-codes``: a new screen waiting to be paired."""

    code: str | None = None
    model: str | None = None


class AddApiKey(BaseModel):
    """Body of ``POST /_emulator/optisigns/api-keys``."""

    key: str = Field(min_length=6)
    scopes: list[str]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/state")
def get_state(request: Request, state: State) -> dict[str, Any]:
    return state.snapshot(_base(request))


@router.post("/screens")
def add_screens(body: AddScreens, state: State) -> dict[str, Any]:
    try:
        ids = state.add_screens(
            body.count,
            tags=body.tags,
            path=body.path,
            online=body.online,
            name_prefix=body.name_prefix,
            team=body.team_id,
        )
    except Exception as exc:  # unknown team
        raise HTTPException(400, str(exc)) from None
    return {"ids": ids, "count": len(ids)}


@router.get("/screens/{device_id}")
def get_screen(device_id: str, request: Request, state: State) -> dict[str, Any]:
    state.settle()
    with state.lock:
        device = state.devices.get(device_id)
        if device is None:
            raise HTTPException(404, f"no screen {device_id!r}")
        view = state.device_view(device)
        view["showing"] = state.describe_content(
            {
                k: device.get(k)
                for k in ("currentType", "currentAssetId", "currentPlaylistId", "currentScheduleId")
            },
            _base(request),
        )
        return view


@router.post("/screens/{device_id}/online")
def set_online(device_id: str, body: SetOnline, state: State) -> dict[str, Any]:
    try:
        return state.device_view(state.set_online(device_id, body.online))
    except KeyError:
        raise HTTPException(404, f"no screen {device_id!r}") from None


@router.post("/pairing-codes")
def add_pairing_code(body: AddPairingCode, state: State) -> dict[str, Any]:
    try:
        return {"pairingCode": state.add_pairing_code(body.code, body.model)}
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@router.post("/api-keys")
def add_api_key(body: AddApiKey, state: State) -> dict[str, Any]:
    unknown = set(body.scopes) - OPTISIGNS_ALL_SCOPES
    if unknown:
        raise HTTPException(400, f"unknown scopes {sorted(unknown)}; known: {sorted(OPTISIGNS_ALL_SCOPES)}")
    state.add_api_key(body.key, body.scopes)
    return {"key": body.key, "scopes": sorted(body.scopes)}


@router.post("/assets/{asset_id}/ready")
def mark_ready(asset_id: str, request: Request, state: State) -> dict[str, Any]:
    try:
        return state.asset_view(state.mark_asset_ready(asset_id), _base(request))
    except KeyError:
        raise HTTPException(404, f"no asset {asset_id!r}") from None


@router.get("/files/{asset_id}")
def get_file(asset_id: str, state: State) -> FileResponse:
    """The uploaded (or seeded) file of an asset, so the page can show the picture itself."""
    asset = state.assets.get(asset_id)
    if asset is None or not asset.get("emu_file"):
        raise HTTPException(404, f"no file for asset {asset_id!r}")
    return FileResponse(asset["emu_file"], media_type=asset["emu_content_type"])
