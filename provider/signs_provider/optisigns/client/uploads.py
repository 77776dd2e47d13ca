"""File uploads: signed options from OptiSigns, a streamed POST to the upload service, then ``saveAsset``."""

from __future__ import annotations

import io
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Any

from signs_provider.common.errors import SignsApiError, SignsConfigError
from signs_provider.common.transport import require_secure_url
from signs_provider.optisigns.client._inputs import MAX_NAME_LENGTH, name_text, with_provider_tag
from signs_provider.optisigns.client.graphql import Query

if TYPE_CHECKING:
    from signs_provider.optisigns.client.assets import Assets
    from signs_provider.optisigns.client.graphql import GraphQLSession
    from signs_provider.optisigns.client.types import AssetInfo, UploadSource

log = logging.getLogger(__name__)

#: File types OptiSigns plays (support article "What types of files are supported"), by extension.
SUPPORTED_FILE_TYPES: Mapping[str, str] = {
    **dict.fromkeys((".jpg", ".jpeg", ".png", ".bmp", ".gif"), "image"),
    **dict.fromkeys((".mp4", ".avi"), "video"),
    **dict.fromkeys((".pdf", ".doc", ".docx", ".ppt", ".pptx", ".xls", ".xlsx"), "document"),
    # "All OpenOffice file types"
    **dict.fromkeys((".odt", ".ods", ".odp", ".odg"), "document"),
}

#: "The individual file upload limit is 1 GB by default" (liftable through support; free plan: 25 MB).
DEFAULT_MAX_UPLOAD_BYTES = 1024**3

_TRANSLOADIT_OK = frozenset({"ASSEMBLY_COMPLETED", "ASSEMBLY_UPLOADING", "ASSEMBLY_EXECUTING"})

UPLOAD_OPTIONS = Query(
    "query UploadOptions($teamId: String) { getFileUploadOptions(teamId: $teamId) }", "getFileUploadOptions"
)


class Uploads:
    """Uploads files and registers them as assets.

    :param graphql: the GraphQL session (upload options; its transport posts the file).
    :param assets: where the new asset is saved and looked for after a lost answer.
    :param url: the upload service (Transloadit assemblies).
    :param max_bytes: the largest file accepted.
    """

    def __init__(self, graphql: GraphQLSession, assets: Assets, *, url: str, max_bytes: int) -> None:
        self.graphql = graphql
        self.assets = assets
        self.url = url
        self.max_bytes = max_bytes

    def options(self) -> tuple[str, str]:
        """Fresh signed Transloadit parameters: ``(params_json, signature)``.

        The signature covers the exact params string, so it is serialised compactly (as the
        official cookbook does) or passed through untouched when the API already sends a string.
        """
        options = self.graphql.send(UPLOAD_OPTIONS)
        if isinstance(options, str):
            options = json.loads(options)
        if not isinstance(options, dict) or "params" not in options or "signature" not in options:
            raise SignsApiError("OptiSigns getFileUploadOptions answered without params and signature.")
        params = options["params"]
        if not isinstance(params, str):
            params = json.dumps(params, separators=(",", ":"))
        return params, str(options["signature"])

    def upload_file(
        self,
        source: UploadSource,
        *,
        name: str | None = None,
        filename: str | None = None,
        tags: Iterable[str] = (),
        path: str | None = None,
        on_uploaded: Callable[[str], None] | None = None,
    ) -> AssetInfo:
        """Upload a file and register it as an asset (status ``converting`` until OptiSigns is done).

        The three steps of the API: signed upload options, a multipart POST of the file to the
        upload service (streamed from disk or object storage: memory does not grow with the
        file's size), then ``saveAsset`` with the upload's id. Everything is checked before the
        first request: the file exists, its type is one OptiSigns plays, and it is within
        ``max_bytes``.

        :param source: a local path, an object storage URL (``s3://bucket/key.png``), an
            :class:`~airflow.sdk.ObjectStoragePath`, or the file's bytes (then ``filename`` is
            required, for its extension).
        :param name: the asset's name in OptiSigns; defaults to the file name. The file's
            extension is appended when the name lacks it (``"Menu"`` becomes ``"Menu.png"``).
        :param filename: the file name sent with the upload; defaults to the source's name.
        :param tags: tags for the asset, in addition to :data:`~signs_provider.optisigns.client._inputs.PROVIDER_TAG`.
        :param path: the OptiSigns folder, e.g. ``"/Lobby"``; ``None`` is the top folder.
        :param on_uploaded: called with the upload's id (the assembly id) the moment the upload
            service has the file, before ``saveAsset``: a caller records it there so that a later
            attempt can :meth:`finish_upload` instead of sending the file again. An exception it
            raises stops the upload (no ``saveAsset``).
        :return: the new asset; wait for it with :meth:`Assets.wait_for_ready <signs_provider.optisigns.client.assets.Assets.wait_for_ready>`.
        """
        upload, asset_name = self.check(source, name=name, filename=filename)
        all_tags = with_provider_tag(tags)
        params, signature = self.options()
        assembly = self._post(upload, params=params, signature=signature)
        assembly_id = str(assembly["assembly_id"])
        if on_uploaded is not None:
            on_uploaded(assembly_id)
        asset = self._save(assembly_id, asset_name, all_tags, path)
        log.info("Uploaded %s (%d bytes) as asset %s.", upload.filename, upload.size, asset.get("_id"))
        return asset

    def finish_upload(
        self,
        assembly_id: str,
        source: UploadSource,
        *,
        name: str | None = None,
        filename: str | None = None,
        tags: Iterable[str] = (),
        path: str | None = None,
    ) -> AssetInfo:
        """Register as an asset a file an earlier :meth:`upload_file` already sent (no file is sent).

        For an upload interrupted between the upload service's answer and ``saveAsset`` (a worker
        that died, a ``saveAsset`` answer lost and not found in the landing wait): the asset that
        holds ``assembly_id`` is looked for first (``saveAsset`` may have landed), and saved only
        when there is none, through the same send-once path as :meth:`upload_file`. The source and
        the other arguments are those of the first call: they give the asset's name and tags (the
        source is checked, not read).

        Resuming rests on a guess about the real API: that the upload service keeps a finished
        assembly's file and that ``saveAsset`` takes any finished assembly id as ``processId``, not
        only one fresh from the same session. The payload is the documented one: the official SDK's
        ``uploadFileAsset`` (evidence ``sdk-01-saveAsset``) and the cookbook's ``add_file_asset``
        (``cook-01-saveAsset``; their variables in the evidence's ``variables.json``) send the
        assembly id as ``processId``, but both right after the upload; none resumes an older one, and
        how long the upload service keeps a file is not documented. When OptiSigns refuses the id
        (the emulator answers a GraphQL error with code 404 for an unknown upload), this raises that
        error and the caller uploads the file again.

        :param assembly_id: the id given to ``on_uploaded`` by the earlier :meth:`upload_file`.
        :raises OptiSignsGraphQLError: OptiSigns refused the id (nothing was created).
        """
        _, asset_name = self.check(source, name=name, filename=filename)
        if not str(assembly_id).strip():
            raise SignsConfigError("assembly_id: empty. Give the id on_uploaded received from upload_file.")
        asset = self._save(str(assembly_id), asset_name, with_provider_tag(tags), path, look_first=True)
        log.info(
            "Finished upload %s as asset %s (the file was not sent again).", assembly_id, asset.get("_id")
        )
        return asset

    def _save(
        self,
        assembly_id: str,
        asset_name: str,
        tags: list[str],
        path: str | None,
        *,
        look_first: bool = False,
    ) -> AssetInfo:
        """``saveAsset`` for an uploaded file, once: after a lost answer, the asset holding ``assembly_id`` is looked for."""
        payload = {
            "type": "file",
            "originalFileName": asset_name,
            "processId": assembly_id,
            "status": "converting",
            "path": path,
            "tags": tags,
        }

        def look() -> AssetInfo | None:
            return next(
                (a for a in self.assets.list(name=asset_name) if a.get("processId") == assembly_id),
                None,
            )

        # Resuming an earlier upload, its asset is looked for first: that upload's saveAsset may have landed.
        found = look() if look_first else None
        return found or self.assets.create(payload, look=look, what=f"asset {asset_name!r}")

    def check(
        self, source: UploadSource, *, name: str | None = None, filename: str | None = None
    ) -> tuple[UploadFile, str]:
        """Every check of :meth:`upload_file` that needs no request: the file, the name, the upload address.

        :return: the checked file, and the asset's name (with the file's extension).
        """
        upload = UploadFile.inspect(source, filename=filename, max_bytes=self.max_bytes)
        asset_name = name_text(name, field="name") if name is not None else upload.filename.strip()
        extension = PurePath(upload.filename).suffix
        if not asset_name.lower().endswith(extension.lower()):
            # OptiSigns names a file asset with its extension; adding it here keeps look-ups by name exact.
            asset_name += extension
        if len(asset_name) > MAX_NAME_LENGTH:
            name_text(asset_name, field="name" if name is not None else "filename")
        # The upload service gets the file: its address is checked before the first request.
        require_secure_url(self.url, field="upload_url")
        return upload, asset_name

    def _post(self, upload: UploadFile, *, params: str, signature: str) -> dict[str, Any]:
        """POST the file to the upload service, streamed; the API key is not sent there."""
        from requests_toolbelt import MultipartEncoder

        opened: list[IO[bytes]] = []
        # One random boundary per upload (a fixed one could occur in the file and cut it short);
        # made here, outside body(), so a retried attempt still matches the Content-Type below.
        boundary = f"airflow-provider-signs-{uuid.uuid4().hex}"

        def body() -> MultipartEncoder:
            for handle in opened:
                handle.close()
            opened.clear()
            handle = upload.open()
            opened.append(handle)
            fields = {
                "params": params,
                "signature": signature,
                "file": (upload.filename, _SizedReader(handle, upload.size), "application/octet-stream"),
            }
            return MultipartEncoder(fields=fields, boundary=boundary)

        content_type = f"multipart/form-data; boundary={boundary}"
        # Headers set to None are dropped from the session's defaults: the upload service gets no
        # OptiSigns key. A repeated upload only leaves an unused file there (no asset is created
        # until saveAsset), so it is safe to retry.
        headers = {"Authorization": None, "Content-Type": content_type}
        try:
            reply = self.graphql.transport.send(
                "POST", self.url, idempotent=True, data=body, headers=headers, check=False
            )
        finally:
            for handle in opened:
                handle.close()
        result = reply.body
        if reply.status_code >= 400 or not isinstance(result, dict) or result.get("error"):
            detail = result.get("message") or result.get("error") if isinstance(result, dict) else None
            raise SignsApiError(
                f"The upload of {upload.filename} to {self.url} failed (HTTP {reply.status_code})"
                + (f": {detail}" if detail else "."),
                status=reply.status_code,
                api_message=None if detail is None else str(detail),
            )
        if not result.get("assembly_id") or result.get("ok") not in _TRANSLOADIT_OK:
            raise SignsApiError(
                f"The upload service did not accept {upload.filename}: status {result.get('ok')!r}."
            )
        return result


@dataclass
class UploadFile:
    """A checked upload source: its name, size and a way to open it (again, for a retry)."""

    filename: str
    size: int
    open: Callable[[], IO[bytes]]

    @classmethod
    def inspect(cls, source: UploadSource, *, filename: str | None, max_bytes: int) -> UploadFile:
        if isinstance(source, (bytes, bytearray, memoryview)):
            if not filename:
                raise SignsConfigError("filename: required when uploading bytes (e.g. 'menu.png').")
            data = bytes(source)
            upload = cls(filename, len(data), lambda: io.BytesIO(data))
        elif isinstance(source, str) and "://" in source and not source.startswith("file:///"):
            from airflow.sdk import ObjectStoragePath

            return cls.inspect(ObjectStoragePath(source), filename=filename, max_bytes=max_bytes)
        elif isinstance(source, (str, os.PathLike)):
            local = os.fspath(source)
            if local.startswith("file://"):
                local = local[len("file://") :]
            if not os.path.isfile(local):
                raise SignsConfigError(f"source: {local!r} does not exist or is not a file.")
            upload = cls(filename or os.path.basename(local), os.path.getsize(local), _opener(local))
        elif hasattr(source, "open") and hasattr(source, "stat"):  # ObjectStoragePath (s3://, gs://, file://)
            if not source.exists() or not source.is_file():
                raise SignsConfigError(f"source: {source} does not exist or is not a file.")
            stat = source.stat()
            size = int(getattr(stat, "st_size", None) or stat["size"])
            upload = cls(filename or source.name, size, lambda: source.open("rb"))
        else:
            raise SignsConfigError(
                f"source: {type(source).__name__} is not a path, an ObjectStoragePath or bytes."
            )
        suffix = PurePath(upload.filename).suffix.lower()
        if suffix not in SUPPORTED_FILE_TYPES:
            raise SignsConfigError(
                f"source: {upload.filename!r} is not a file type OptiSigns plays. Supported: "
                f"{', '.join(sorted(SUPPORTED_FILE_TYPES))}. For a web page use a website asset."
            )
        if upload.size == 0:
            raise SignsConfigError(f"source: {upload.filename!r} is empty.")
        if upload.size > max_bytes:
            raise SignsConfigError(
                f"source: {upload.filename!r} is {upload.size / 1024**2:.1f} MB, over the upload limit of "
                f"{max_bytes / 1024**2:.0f} MB. Make the file smaller, or raise the limit (connection extra "
                "'max_upload_mb', or max_upload_bytes) if your plan allows larger files."
            )
        return upload


class _SizedReader:
    """A file to stream whose length is known before it is read.

    The multipart encoder measures a file by its descriptor or its buffer; a file opened on object
    storage (S3) has neither, so the size measured when the source was inspected is given instead.
    """

    def __init__(self, handle: IO[bytes], size: int) -> None:
        self.handle = handle
        self.left = size

    @property
    def len(self) -> int:
        return self.left

    def read(self, length: int = -1) -> bytes:
        chunk = self.handle.read(length)
        self.left = max(0, self.left - len(chunk))
        return chunk


def _opener(local: str) -> Callable[[], IO[bytes]]:
    """Open the file at each call: a retried upload reads it again from the start."""
    # The uploader closes the handle after each attempt.
    return lambda: open(local, "rb")
