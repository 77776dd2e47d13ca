"""``POST /transloadit/assemblies``: the upload step of OptiSigns' three-step file upload.

The client sends ``multipart/form-data`` with ``params`` (the exact JSON string it was given, compactly
serialised), ``signature`` and ``file``. The signature is checked over the params string byte for byte, as
Transloadit does, so a client that re-orders or pretty-prints the params fails here as it would for real.

The body is parsed as it arrives and file bytes go straight to disk in chunks: a 1 GB upload never sits in
memory. (This uses ``python-multipart``'s streaming parser directly; Starlette's ``request.form()`` would
also spool to disk but only after buffering up to 1 MB per file and copying it again.)

``router`` serves ``POST /assemblies`` and ``GET /assemblies/{assembly_id}``; it finds the account and the
upload limit through ``Depends`` (``request.app.state.emulator.optisigns``).
"""

from __future__ import annotations

import json
import mimetypes
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from signs_emulator.optisigns.emulator import OptiSigns, State
from signs_emulator.optisigns.state import OptiSignsState, Upload, iso

_MAX_FIELD_BYTES = 64 * 1024


class UploadRejected(Exception):
    """The upload fails with a Transloadit-style error body."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


class _StreamingForm:
    """Callbacks for python-multipart that keep small fields in memory and stream the file to disk."""

    def __init__(self, state: OptiSignsState, max_bytes: int) -> None:
        self.state = state
        self.max_bytes = max_bytes
        self.fields: dict[str, bytearray] = {}
        self.file_name: str | None = None
        self.file_type: str = "application/octet-stream"
        self.file_field: str | None = None
        self.file_path: Path | None = None
        self.assembly_id: str | None = None
        self.file_size = 0
        self.largest_write = 0
        self._handle: IO[bytes] | None = None
        self._headers: dict[bytes, bytes] = {}
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._current: bytearray | None = None
        self._in_file = False

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._header_field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._header_value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._current = None
        self._in_file = False

    def _header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if filename is None:
            self._current = self.fields.setdefault(name, bytearray())
            return
        if self.file_name is not None:
            raise UploadRejected(400, "TOO_MANY_FILES", "the emulator accepts one file per assembly")
        self.file_name = Path(filename.decode("utf-8", "replace")).name or "upload.bin"
        self.file_field = name
        content_type = self._headers.get(b"content-type", b"").decode("latin-1").strip()
        guessed = mimetypes.guess_type(self.file_name)[0]
        # requests sends application/octet-stream by default; the extension says more.
        self.file_type = (
            guessed if content_type in ("", "application/octet-stream") and guessed else content_type
        )
        self.assembly_id, self.file_path = self.state.new_upload_target(self.file_name)
        self._handle = self.file_path.open("wb")
        self._in_file = True

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            assert self._handle is not None
            self.file_size += end - start
            if self.file_size > self.max_bytes:
                raise UploadRejected(
                    413, "FILE_TOO_LARGE", f"The individual file upload limit is {self.max_bytes} bytes"
                )
            self.largest_write = max(self.largest_write, end - start)
            self._handle.write(data[start:end])
        elif self._current is not None:
            if len(self._current) + end - start > _MAX_FIELD_BYTES:
                raise UploadRejected(400, "FIELD_TOO_LARGE", "form fields are limited to 64 KiB")
            self._current.extend(data[start:end])

    def _part_end(self) -> None:
        if self._in_file and self._handle is not None:
            self._handle.close()
            self._handle = None
        self._in_file = False

    def discard(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self.file_path is not None:
            self.file_path.unlink(missing_ok=True)


def _check_params(state: OptiSignsState, params_text: str, signature: str) -> dict[str, Any]:
    import hmac

    if not params_text:
        raise UploadRejected(400, "PARAMS_FIELD_MISSING", "the 'params' field is required")
    if not signature:
        raise UploadRejected(400, "SIGNATURE_FIELD_MISSING", "the 'signature' field is required")
    if not hmac.compare_digest(state.sign_params(params_text), signature):
        # Transloadit signs the exact string: re-serialised params (spaces, other key order) do not match.
        raise UploadRejected(
            401,
            "INVALID_SIGNATURE",
            "Invalid signature for the given params: send params exactly as "
            "json.dumps(params, separators=(',', ':')) of the getFileUploadOptions result",
        )
    params = json.loads(params_text)
    expires_text = (params.get("auth") or {}).get("expires", "")
    try:
        expires = datetime.strptime(expires_text, "%Y/%m/%d %H:%M:%S+00:00").replace(tzinfo=timezone.utc)
    except ValueError:
        raise UploadRejected(
            400, "INVALID_AUTH_EXPIRES_PARAMETER", "params.auth.expires is not a date"
        ) from None
    if expires <= state.clock.now():
        raise UploadRejected(
            401,
            "AUTH_EXPIRED",
            "The upload parameters expired; call getFileUploadOptions again for this upload",
        )
    return params


def _assembly_status(upload: Upload, base_url: str) -> dict[str, Any]:
    ext = Path(upload.filename).suffix.lstrip(".").lower()
    url = f"{base_url}/transloadit/assemblies/{upload.assembly_id}"
    return {
        "ok": "ASSEMBLY_COMPLETED",
        "message": "The Assembly was successfully completed.",
        "assembly_id": upload.assembly_id,
        "assembly_url": url,
        "assembly_ssl_url": url,
        "bytes_received": upload.size,
        "bytes_expected": upload.size,
        "upload_duration": 0,
        "last_job_completed": iso(upload.uploaded_at),
        "fields": upload.params.get("fields", {}),
        "uploads": [
            {
                "id": upload.assembly_id[:24],
                "name": upload.filename,
                "basename": Path(upload.filename).stem,
                "ext": ext,
                "size": upload.size,
                "mime": upload.content_type,
                "type": upload.content_type.split("/")[0],
                "field": "file",
                "original_name": upload.filename,
            }
        ],
        "results": {},
    }


router = APIRouter()


@router.post("/assemblies")
async def create_assembly(request: Request, service: OptiSigns) -> JSONResponse:
    """Receive one file (streamed to disk) with its signed params."""
    state = service.state
    from python_multipart.multipart import MultipartParser, parse_options_header

    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        return _rejection(UploadRejected(400, "BAD_CONTENT_TYPE", "send multipart/form-data"))
    form = _StreamingForm(state, service.max_upload_bytes)
    parser = MultipartParser(boundary, form.callbacks())  # type: ignore[arg-type]
    started = time.monotonic()
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        params = _check_params(
            state,
            bytes(form.fields.get("params", b"")).decode("utf-8", "replace"),
            bytes(form.fields.get("signature", b"")).decode("utf-8", "replace").strip(),
        )
        if form.file_path is None or form.assembly_id is None or form.file_name is None:
            raise UploadRejected(400, "NO_FILE", "the 'file' field with a file is required")
    except UploadRejected as exc:
        form.discard()
        return _rejection(exc)
    upload = Upload(
        assembly_id=form.assembly_id,
        filename=form.file_name,
        path=form.file_path,
        size=form.file_size,
        content_type=form.file_type,
        uploaded_at=state.clock.now(),
        params=params,
    )
    state.add_upload(upload)
    status = _assembly_status(upload, str(request.base_url).rstrip("/"))
    status["upload_duration"] = round(time.monotonic() - started, 3)
    # How the body was handled, for tests that check the file was streamed rather than buffered.
    status["emulator"] = {"largest_write_bytes": form.largest_write}
    return JSONResponse(status)


@router.get("/assemblies/{assembly_id}")
async def get_assembly(assembly_id: str, request: Request, state: State) -> JSONResponse:
    upload = state.uploads.get(assembly_id)
    if upload is None:
        return _rejection(UploadRejected(404, "ASSEMBLY_NOT_FOUND", f"No assembly {assembly_id!r}"))
    return JSONResponse(_assembly_status(upload, str(request.base_url).rstrip("/")))


def _rejection(exc: UploadRejected) -> JSONResponse:
    # Transloadit error bodies carry an upper-case `error` code and a `message`. [INFERRED] status codes
    return JSONResponse({"error": exc.error, "message": exc.message}, status_code=exc.status)
