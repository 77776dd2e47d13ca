"""Saving a completed document's signed PDF and its completion certificate.

The file URLs OpenSign hands out are pre-signed: a bearer credential for their lifetime (about 15
minutes). They are fetched with a session that carries no API token, never quoted in messages (only
their host is), and refreshed through ``GET /document`` when refused.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from signs_provider.common.transport import USER_AGENT, is_loopback_host
from signs_provider.opensign.client.documents import Documents
from signs_provider.opensign.client.pdf import PDF_MAGIC
from signs_provider.opensign.client.rest import RestSession
from signs_provider.opensign.errors import OpenSignApiError, OpenSignDocumentStateError
from signs_provider.opensign.status import DocumentStatus

if TYPE_CHECKING:
    import requests
    from airflow.sdk import ObjectStoragePath

_DOWNLOAD_CHUNK = 256 * 1024
log = logging.getLogger(__name__)


class Downloads:
    """Downloads of completed documents; needs :class:`Documents` for fresh file URLs."""

    def __init__(self, rest: RestSession, documents: Documents) -> None:
        self.rest = rest
        self.documents = documents
        self._session: requests.Session | None = None

    @property
    def session(self) -> requests.Session:
        """A session without the API token: file URLs are pre-signed and must not receive it."""
        if self._session is None:
            import requests

            self._session = requests.Session()
            self._session.headers.update({"User-Agent": USER_AGENT})
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def download_signed_document(
        self,
        document_id: str,
        destination: str | os.PathLike[str] | ObjectStoragePath,
        *,
        allow_partial: bool = False,
    ) -> str:
        return self._download(document_id, "file", destination, allow_partial=allow_partial)

    def download_certificate(
        self, document_id: str, destination: str | os.PathLike[str] | ObjectStoragePath
    ) -> str:
        return self._download(document_id, "certificate", destination)

    def _download(self, document_id: str, kind: str, destination: Any, *, allow_partial: bool = False) -> str:
        document = self.documents.get_document(document_id)
        status = DocumentStatus.parse(document.get("status"))
        label = "signed document" if kind == "file" else "certificate"
        if status is not DocumentStatus.COMPLETED and not (kind == "file" and allow_partial):
            raise OpenSignDocumentStateError(
                f"OpenSign document {document_id} is {status.value}: the {label} exists once every signer has "
                "signed. Wait for completion (OpenSignDocumentSensor) first."
            )
        target = download_target(
            destination, f"{document_id}-{'signed' if kind == 'file' else 'certificate'}.pdf"
        )
        what = f"{label} of {document_id}"
        refreshes = 0
        while True:
            url = str(document.get(kind) or "")
            if not url:
                raise OpenSignApiError(f"OpenSign gave no {kind} URL for document {document_id}.")
            host = check_download_url(url, what)
            # The URL is pre-signed, a bearer credential for its lifetime: the token-free session, and
            # messages that name its host only.
            with self.rest.fetch(url, session=self.session, label=f"the {what} ({host})") as response:
                http_status = response.status_code
                if http_status in (400, 401, 403, 404) and refreshes < 2:
                    # Pre-signed URLs expire (about 15 minutes): GET /document hands out fresh ones.
                    refreshes += 1
                    log.info("The %s URL was refused (HTTP %s); getting a fresh one", what, http_status)
                    document = self.documents.get_document(document_id)
                    continue
                if http_status < 400:
                    return write_pdf(response.iter_content(_DOWNLOAD_CHUNK), target, what)
                raise OpenSignApiError(
                    f"Downloading the {what} from {host} failed: HTTP {http_status}.", status=http_status
                )


def check_download_url(url: str, what: str) -> str:
    """The host of a pre-signed file URL, once it is known safe to fetch (https, or loopback http).

    Never quotes the URL: its query string is a credential for as long as it is valid.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return host
    if parts.scheme == "http" and host and is_loopback_host(host):
        return host
    raise OpenSignApiError(
        f"OpenSign gave a URL for the {what} that is not https (scheme {parts.scheme or 'none'!r}, "
        f"host {host or 'none'!r}); it was not fetched."
    )


def download_target(destination: Any, default_name: str) -> Any:
    """A file path for ``destination``: itself, or ``default_name`` inside it when it is a folder.

    A folder is a path that ends in ``/`` or one that exists as a folder. The trailing ``/`` is read
    before a URL becomes an ``ObjectStoragePath``, which drops it: an S3 prefix with nothing in it yet
    is not a folder to ``is_dir()``.
    """
    if isinstance(destination, str) and "://" in destination:
        from airflow.sdk import ObjectStoragePath

        folder = destination.endswith("/")
        destination = ObjectStoragePath(destination)
        if folder:
            destination = destination / default_name
            with contextlib.suppress(Exception):  # object stores have no real folders to create
                destination.parent.mkdir(parents=True, exist_ok=True)
            return destination
    elif isinstance(destination, (str, os.PathLike)):
        text = os.fspath(destination)
        destination = Path(text).expanduser()
        if text.endswith(("/", os.sep)) or destination.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
            return destination / default_name
        destination.parent.mkdir(parents=True, exist_ok=True)
        return destination
    target = (
        destination / default_name if str(destination).endswith("/") or destination.is_dir() else destination
    )
    with contextlib.suppress(Exception):  # object stores have no real folders to create
        target.parent.mkdir(parents=True, exist_ok=True)
    return target


def write_pdf(chunks: Iterator[bytes], target: Any, what: str) -> str:
    """Stream ``chunks`` to ``target`` after checking that they start like a PDF; return where."""
    head = b""
    first: list[bytes] = []
    for chunk in chunks:
        first.append(chunk)
        head += chunk[: len(PDF_MAGIC)]
        if len(head) >= len(PDF_MAGIC):
            break
    if not head.startswith(PDF_MAGIC):
        raise OpenSignApiError(
            f"The {what} is not a PDF (it starts with {head[:16]!r}); nothing was written."
        )
    if isinstance(target, Path):
        # Write next to the target and rename, so a reader never sees half a file.
        partial = target.with_name(f".{target.name}.part")
        try:
            with partial.open("wb") as out:
                for chunk in first:
                    out.write(chunk)
                for chunk in chunks:
                    out.write(chunk)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return str(target)
    try:
        with target.open("wb") as out:  # object stores publish the object on close
            for chunk in first:
                out.write(chunk)
            for chunk in chunks:
                out.write(chunk)
    except BaseException:
        with contextlib.suppress(Exception):  # best effort: the write failed already
            target.unlink()
        raise
    return str(target)
