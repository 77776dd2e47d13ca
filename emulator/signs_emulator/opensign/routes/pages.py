"""Downloads (pre-signed-style file URLs) and the stub pages of OpenSign's web app, which the API's links
point at. No ``x-api-token`` on any of them."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..files import InvalidFileToken, s3_error_xml
from ..links import FILE_ROUTE_NAME
from .call import OpenSign

router = APIRouter()


@router.get("/files/{token}", name=FILE_ROUTE_NAME, include_in_schema=False)
def download(token: str, emu: OpenSign) -> Response:
    """A pre-signed-style download: no ``x-api-token``; 403 with an S3-style XML body once expired."""
    try:
        ref = emu.files.check(token)
    except InvalidFileToken as exc:
        return Response(s3_error_xml(exc.code, exc.message), status_code=403, media_type="application/xml")
    with emu.lock:
        data, filename = emu.file_bytes(ref)
    if data is None:
        return Response(
            s3_error_xml("NoSuchKey", "The specified key does not exist."),
            404,
            media_type="application/xml",
        )
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


def stub_page(request: Request, env: str, what: str) -> HTMLResponse:
    control = f"{str(request.base_url).rstrip('/')}/_emulator/opensign/{env}"
    return HTMLResponse(
        "<!doctype html><meta charset='utf-8'><title>OpenSign emulator</title>"
        f"<h1>OpenSign emulator: {what}</h1>"
        "<p>This emulator has no signing web app. Act as a signer through the control API, e.g. "
        f"<code>POST {control}/documents/&lt;id&gt;/signers/&lt;email&gt;/sign</code>.</p>"
    )


@router.get("/{env}/login/{token:path}", include_in_schema=False)
def signing_page(request: Request, env: str, token: str) -> HTMLResponse:
    return stub_page(request, env, "signing page")


@router.get("/{env}/placeholder/{document_id}", include_in_schema=False)
def draft_page(request: Request, env: str, document_id: str) -> HTMLResponse:
    return stub_page(request, env, f"draft document {document_id}")


@router.get("/{env}/recipientSignPdf/{document_id}", include_in_schema=False)
def document_page(request: Request, env: str, document_id: str) -> HTMLResponse:
    # Where the provider's "OpenSign" extra link points; the real web app shows the document there.
    return stub_page(request, env, f"document {document_id}")


@router.get("/{env}/drafttemplate/{token}", include_in_schema=False)
def draft_template_page(request: Request, env: str, token: str) -> HTMLResponse:
    return stub_page(request, env, "draft template")


@router.get("/{env}/publicsign", include_in_schema=False)
def public_sign_page(request: Request, env: str) -> HTMLResponse:
    return stub_page(request, env, "public template signing")
