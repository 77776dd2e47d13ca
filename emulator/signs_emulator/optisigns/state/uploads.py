"""Uploads, step 1 and 2 of the file upload: signed Transloadit-style parameters and the received files."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from .core import StateCore
from .records import TRANSLOADIT_AUTH_KEY, UPLOAD_OPTIONS_TTL, Upload


class UploadsMixin(StateCore):
    """Uploads received by the Transloadit-style endpoint."""

    def _new_assembly_id(self) -> str:
        return "".join(self._rng.choice("0123456789abcdef") for _ in range(32))

    def sign_params(self, params_json: str) -> str:
        digest = hmac.new(self.upload_secret.encode(), params_json.encode(), hashlib.sha384).hexdigest()
        return f"sha384:{digest}"

    def file_upload_options(self, team: str) -> dict[str, Any]:
        expires = self.clock.now() + UPLOAD_OPTIONS_TTL
        params = {
            "auth": {"key": TRANSLOADIT_AUTH_KEY, "expires": expires.strftime("%Y/%m/%d %H:%M:%S+00:00")},
            "template_id": "optisigns-emulator-file-upload",
            "fields": {"accountId": self.account_id, "teamId": team},
        }
        # Signed over the compact JSON the cookbook sends back: json.dumps(params, separators=(",", ":")).
        return {"params": params, "signature": self.sign_params(json.dumps(params, separators=(",", ":")))}

    def new_upload_target(self, filename: str) -> tuple[str, Path]:
        with self.lock:
            assembly_id = self._new_assembly_id()
        safe = Path(filename).name.replace("\x00", "") or "upload.bin"
        directory = self.data_dir / "uploads" / assembly_id
        directory.mkdir(parents=True, exist_ok=True)
        return assembly_id, directory / safe

    def add_upload(self, upload: Upload) -> None:
        with self.lock:
            self.uploads[upload.assembly_id] = upload
