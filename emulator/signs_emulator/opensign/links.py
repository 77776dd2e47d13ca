"""Absolute URLs the emulated API hands out: download URLs and the (stub) web-app links."""

from __future__ import annotations

import base64

from starlette.requests import Request
from starlette.routing import NoMatchFound

from .files import FileSigner
from .state import Document, Signer, Template

#: Name of the download route, used to find where the core mounted the OpenSign router.
FILE_ROUTE_NAME = "opensign_file"


def api_base(request: Request) -> str:
    """``http://host:port/opensign`` (wherever the API router is mounted), from any request to the app."""
    try:
        url = str(request.url_for(FILE_ROUTE_NAME, token="-"))
        return url[: -len("/files/-")]
    except NoMatchFound:  # control router mounted in an app without the API router
        return str(request.base_url).rstrip("/") + "/opensign"


class Links:
    """URL factory for one environment, bound to the base URL the client used."""

    def __init__(self, base: str, env: str, files: FileSigner) -> None:
        self.base = base
        self.env = env
        self._files = files
        # The environment's "host": the web-app links live under it, like app.opensignlabs.com/...
        self.host = f"{base}/{env}"

    def _download(self, kind: str, object_id: str, version: int) -> str:
        return f"{self.base}/files/{self._files.issue(self.env, kind, object_id, version)}"

    def file(self, doc: Document, version: int | None = None) -> str:
        """Latest PDF of ``doc`` (original until the first signature), or a given file version."""
        return self._download("file", doc.id, doc.file_version if version is None else version)

    def certificate(self, doc: Document) -> str:
        """Completion certificate, ``""`` until the document is completed."""
        return self._download("certificate", doc.id, 0) if doc.certificate else ""

    def template_file(self, template: Template) -> str:
        return self._download("template", template.id, template.file_version)

    def signing(self, doc: Document, signer: Signer) -> str:
        """Signer link shaped like OpenSign's ``/login/<base64 of docId/email/contactId/sendmail>``."""
        send_mail = "true" if doc.options.get("send_email", True) else "false"
        raw = f"{doc.id}/{signer.email}/{signer.contact_id}/{send_mail}".encode()
        # Plain (not URL-safe) base64 like the web app's btoa(); it may contain "/", which the stub page route
        # accepts.
        return f"{self.host}/login/{base64.b64encode(raw).decode()}"

    def draft_document(self, doc: Document) -> str:
        return f"{self.host}/placeholder/{doc.id}"

    def draft_template(self, template: Template) -> str:
        # OpenSign puts a JWT here; an opaque base64 of the id is enough for a stub page.
        token = base64.urlsafe_b64encode(f'{{"template_id":"{template.id}"}}'.encode()).decode().rstrip("=")
        return f"{self.host}/drafttemplate/{token}"

    def public_template(self, template: Template) -> str:
        return f"{self.host}/publicsign?templateid={template.id}"
