"""A tiny PDF writer for the files the OpenSign emulator serves.

The emulator needs real, openable PDFs (sample template files, the "signed" copy of a document and the
completion certificate) without adding a dependency, so this writes plain PDF 1.4 with text-only pages
in the standard Helvetica font.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

_PAGE_WIDTH = 595  # A4 in points, like the pages OpenSign users usually upload
_PAGE_HEIGHT = 842
_MARGIN = 56
_LEADING = 15
_LINES_PER_PAGE = (_PAGE_HEIGHT - 2 * _MARGIN) // _LEADING
_WRAP_AT = 92


def _escape(text: str) -> bytes:
    # Helvetica uses WinAnsi-like single bytes; anything else degrades to "?" rather than breaking the file.
    raw = text.encode("latin-1", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _paginate(lines: Sequence[str]) -> list[list[str]]:
    wrapped: list[str] = []
    for line in lines:
        if line == "\f":  # explicit page break
            wrapped.append(line)
            continue
        wrapped.extend(textwrap.wrap(line, _WRAP_AT) or [""])
    pages: list[list[str]] = [[]]
    for line in wrapped:
        if line == "\f" or len(pages[-1]) >= _LINES_PER_PAGE:
            pages.append([])
            if line == "\f":
                continue
        pages[-1].append(line)
    return [page for page in pages if page] or [[""]]


def render_pdf(lines: Sequence[str], *, title: str) -> bytes:
    """Return a valid PDF showing ``lines`` (wrapped, paginated; ``"\\f"`` forces a new page)."""
    pages = _paginate(lines)
    objects: list[bytes] = []  # object n is objects[n - 1]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree number is known
    page_tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    page_ids: list[int] = []
    for page_lines in pages:
        ops = [b"BT", b"/F1 11 Tf", b"%d TL" % _LEADING, b"%d %d Td" % (_MARGIN, _PAGE_HEIGHT - _MARGIN)]
        for index, line in enumerate(page_lines):
            ops.append((b"(" if index == 0 else b"T* (") + _escape(line) + b") Tj")
        ops.append(b"ET")
        stream = b"\n".join(ops)
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        page_ids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 %d 0 R >> >> "
                b"/Contents %d 0 R >>" % (page_tree, _PAGE_WIDTH, _PAGE_HEIGHT, font, content)
            )
        )
    kids = b" ".join(b"%d 0 R" % page_id for page_id in page_ids)
    objects[page_tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % page_tree
    info = add(b"<< /Title (%s) /Producer (signs-provider OpenSign emulator) >>" % _escape(title))

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        info,
        xref_at,
    )
    return bytes(out)
