"""Assets: uploaded files (after their Transloadit upload) and website assets, and their conversion."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .core import StateCore
from .records import _CONTENT_TYPES, _FILE_TYPES, ASSET_CONVERTING, ASSET_READY, OptiSignsError, iso


class AssetsMixin(StateCore):
    """Assets of the account."""

    def _new_file_asset(
        self,
        name: str,
        path: Path,
        size: int,
        content_type: str,
        process_id: str | None,
        team: str,
        t: datetime,
    ) -> dict[str, Any]:
        ext = Path(name).suffix.lower().lstrip(".")
        file_type = _FILE_TYPES.get(ext)
        if file_type is None:
            supported = ", ".join(sorted(_FILE_TYPES))
            raise OptiSignsError(400, f"Unsupported file type {ext or '(none)'!r}; supported: {supported}")
        asset_id = self._meteor()
        asset: dict[str, Any] = {
            "_id": asset_id,
            "type": "file",
            "fileType": file_type,
            "appType": None,
            "name": name,
            "originalFileName": name,
            "filename": f"{asset_id}.{ext}",
            "fileExtension": ext,
            "originalFileExtension": ext,
            "fileSize": float(size),
            "originalFileSize": float(size),
            "processId": process_id,
            "AWSS3ID": f"{self.account_id}/{asset_id}.{ext}",
            "bucket": "optisigns-emulator",
            "status": ASSET_CONVERTING,
            "path": None,
            "tags": [],
            "teamId": team,
            "lastTeamId": team,
            "accountId": self.account_id,
            "createdAt": iso(t),
            "createdBy": self.user["_id"],
            "lastUpdatedBy": self.user["_id"],
            "lastUpdatedDate": iso(t),
            "emu_file": str(path),
            "emu_content_type": content_type or _CONTENT_TYPES.get(ext, "application/octet-stream"),
            "emu_ready_at": t + timedelta(seconds=self.asset_ready_seconds),
        }
        if file_type == "image":
            asset.update({"width": 320, "height": 180})
        self.assets[asset_id] = asset
        return asset

    def _new_web_asset(self, payload: dict[str, Any], team: str, t: datetime) -> dict[str, Any]:
        if not payload.get("webLink"):
            raise OptiSignsError(400, "webLink is required for a website asset")
        asset_id = self._meteor()
        name = payload.get("originalFileName") or payload["webLink"]
        asset: dict[str, Any] = {
            "_id": asset_id,
            "type": "web",
            "subType": "static",
            "fileType": "web",
            "webType": "website",
            "appType": "website",
            "status": ASSET_READY,
            "path": None,
            "tags": [],
            "teamId": team,
            "lastTeamId": team,
            "accountId": self.account_id,
            "createdAt": iso(t),
            "createdBy": self.user["_id"],
            "lastUpdatedBy": self.user["_id"],
            "lastUpdatedDate": iso(t),
        }
        asset.update({k: v for k, v in payload.items() if k not in ("_id", "teamId", "status")})
        asset["name"] = name
        asset["filename"] = name
        asset["originalFileName"] = name
        self.assets[asset_id] = asset
        return asset

    def save_asset(self, payload: dict[str, Any], team: str) -> dict[str, Any]:
        with self.lock:
            now = self.clock.now()
            if payload.get("_id"):
                asset = self._asset(payload["_id"], team)
                for key, value in payload.items():
                    if key in ("_id", "accountId", "createdAt", "createdBy", "processId"):
                        continue
                    if key == "status" and asset.get("emu_ready_at") is not None:
                        continue  # conversion state is the server's, not the client's
                    asset[key] = value
                if payload.get("originalFileName"):
                    asset["name"] = payload["originalFileName"]
                asset["lastUpdatedDate"] = iso(now)
                return asset
            target_team = payload.get("teamId") or team
            self.check_team(target_team)
            if payload.get("processId"):
                upload = self.uploads.get(payload["processId"])
                if upload is None:
                    raise OptiSignsError(404, f"No upload with processId {payload['processId']!r}")
                name = payload.get("originalFileName") or upload.filename
                if not Path(name).suffix:
                    name += Path(upload.filename).suffix
                asset = self._new_file_asset(
                    name, upload.path, upload.size, upload.content_type, upload.assembly_id, target_team, now
                )
                for key in ("path", "tags"):
                    if payload.get(key) is not None:
                        asset[key] = payload[key]
                self.settle()  # a zero ready delay makes the asset ready at once
                return asset
            if payload.get("webLink") or payload.get("type") == "web":
                return self._new_web_asset(payload, target_team, now)
            raise OptiSignsError(
                400,
                "saveAsset payload needs webLink (website asset), processId (uploaded file) or _id (update)",
            )

    def mark_asset_ready(self, asset_id: str) -> dict[str, Any]:
        with self.lock:
            asset = self.assets.get(asset_id)
            if asset is None:
                raise KeyError(asset_id)
            asset["status"] = ASSET_READY
            asset["emu_ready_at"] = None
            return asset
