"""The PDF a create sends: where it comes from, what it holds, and the streamed JSON body around it.

A PDF is read once before it is sent: :meth:`PdfFile.inspect` checks the size, the magic bytes, and
counts the pages and page sizes in that one pass (an ``s3://`` source is downloaded once, not three
times). The send reads it again, chunk by chunk, while the request goes out.

The file goes out as base64 inside a JSON body. :class:`StreamedJsonBody` encodes it chunk by chunk
while the request is being sent, so a 10 MB PDF is never held in memory as bytes, base64 and JSON at
once.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from signs_provider.common.errors import SignsConfigError

if TYPE_CHECKING:
    from typing import TypeAlias

    from airflow.sdk import ObjectStoragePath

    PdfInput: TypeAlias = str | os.PathLike[str] | ObjectStoragePath | bytes | bytearray | memoryview
else:
    PdfInput = Any

#: Largest file OpenSign's cloud accepts, counted on the decoded PDF (measured: 9.4 MB accepted,
#: 12 MB refused with "File too large. Max allowed file size is 10 MB"). [INFERRED] 10 MiB rather
#: than 10^7 bytes; both fit the measurement.
MAX_FILE_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
#: Largest page side a PDF allows (ISO 32000: 14 400 units), the bound when the page size is unknown.
PDF_MAX_PAGE_POINTS = 14400.0

# A page object ("/Type /Page", not "/Type /Pages"), for counting the pages of uncompressed PDFs.
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_MEDIA_BOX = re.compile(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]")
_CHUNK = 3 * 64 * 1024  # a multiple of 3, so chunks base64-encode without padding in between
_TAIL = 80  # bytes kept between chunks, longer than any match above


@dataclass(frozen=True)
class PdfFacts:
    """What one read of a PDF found.

    :ivar size: bytes read.
    :ivar pages: pages, when the page objects are readable without decompressing; else ``None``.
    :ivar page_size: width and height in points when every readable ``/MediaBox`` agrees; else
        ``None`` (widgets are then only checked against the PDF maximum).
    """

    size: int
    pages: int | None
    page_size: tuple[float, float] | None


class PdfFile:
    """A PDF to send, given as a local path, an ``ObjectStoragePath`` or bytes; read lazily.

    A string containing ``://`` is taken as an ``ObjectStoragePath`` URL (``s3://bucket/a.pdf``,
    ``file:///tmp/a.pdf``); any other string is a local path. Nothing is cached: :meth:`inspect`
    returns what it read.
    """

    def __init__(self, source: PdfInput, *, field: str = "file") -> None:
        self.field = field
        self._bytes: memoryview | None = None
        self._path: Any = None
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._bytes = memoryview(source).cast("B")
        elif isinstance(source, str) and "://" in source:
            from airflow.sdk import ObjectStoragePath

            self._path = ObjectStoragePath(source)
        elif isinstance(source, (str, os.PathLike)):
            self._path = Path(source).expanduser()
        elif hasattr(source, "open") and hasattr(source, "stat"):  # ObjectStoragePath or another UPath
            self._path = source
        else:
            raise SignsConfigError(
                f"{field}: expected a local path, an ObjectStoragePath or bytes, got {type(source).__name__}."
            )

    @property
    def name(self) -> str:
        """How the file is named in messages: its path, or ``bytes``."""
        return "bytes" if self._path is None else str(self._path)

    def open(self) -> BinaryIO:
        """A fresh binary reader over the file."""
        if self._bytes is not None:
            return io.BytesIO(self._bytes)  # shares the buffer until written to
        try:
            return self._path.open("rb")
        except FileNotFoundError:
            raise SignsConfigError(f"{self.field}: {self.name} does not exist.") from None
        except IsADirectoryError:
            raise SignsConfigError(f"{self.field}: {self.name} is a directory, not a PDF file.") from None

    @property
    def size(self) -> int:
        """Size in bytes, without reading the file (a ``stat``, which for object storage is no download)."""
        if self._bytes is not None:
            return self._bytes.nbytes
        try:
            return int(self._path.stat().st_size)
        except FileNotFoundError:
            raise SignsConfigError(f"{self.field}: {self.name} does not exist.") from None

    def chunks(self, size: int = _CHUNK) -> Iterator[bytes]:
        """The file's bytes in chunks of exactly ``size`` (the last one may be shorter)."""
        if self._bytes is not None:
            for start in range(0, self._bytes.nbytes, size):
                yield bytes(self._bytes[start : start + size])
            return
        with self.open() as handle:
            pending = b""
            while True:
                block = handle.read(size - len(pending))
                if not block:
                    break
                pending += block
                if len(pending) == size:
                    yield pending
                    pending = b""
            if pending:
                yield pending

    def inspect(self) -> PdfFacts:
        """Check OpenSign's size limit and the magic bytes, and read pages and page size, in one read.

        Raises :class:`SignsConfigError` naming :attr:`field` when the file would be refused.
        """
        declared = self.size
        if declared == 0:
            raise SignsConfigError(f"{self.field}: {self.name} is empty. Give the PDF to send.")
        self._check_limit(declared)
        count, boxes, compressed = 0, set(), False
        tail, read = b"", 0
        for chunk in self.chunks():
            if read == 0 and not chunk.startswith(PDF_MAGIC):
                raise SignsConfigError(
                    f"{self.field}: {self.name} is not a PDF (it starts with {chunk[: len(PDF_MAGIC)]!r}, "
                    f"not {PDF_MAGIC!r}). OpenSign's API accepts PDF files only; convert images and Word "
                    "files to PDF first."
                )
            read += len(chunk)
            self._check_limit(read)
            window = tail + chunk
            # Count matches that end in the new data only, so a match in the overlap is counted once.
            count += sum(1 for m in _PAGE_OBJECT.finditer(window) if m.end() > len(tail))
            for m in _MEDIA_BOX.finditer(window):
                if m.end() > len(tail):
                    try:
                        x0, y0, x1, y1 = (float(v) for v in m.groups())
                    except ValueError:
                        continue
                    boxes.add((abs(x1 - x0), abs(y1 - y0)))
            compressed = compressed or b"/ObjStm" in window
            tail = window[-_TAIL:]
        if read == 0:
            raise SignsConfigError(f"{self.field}: {self.name} is empty. Give the PDF to send.")
        return PdfFacts(
            size=read,
            pages=None if compressed or count == 0 else count,
            page_size=boxes.pop() if len(boxes) == 1 and not compressed else None,
        )

    def _check_limit(self, size: int) -> None:
        if size > MAX_FILE_BYTES:
            raise SignsConfigError(
                f"{self.field}: {self.name} is {size / 2**20:.1f} MB; OpenSign accepts at most "
                f"{MAX_FILE_BYTES / 2**20:.0f} MB per file. Compress the PDF or split it."
            )

    # One-question helpers over :meth:`inspect` (each one reads the file; senders inspect once).

    def validate(self) -> None:
        """Check the magic bytes and OpenSign's size limit; raise naming :attr:`field`."""
        self.inspect()

    def page_count(self) -> int | None:
        """Pages of a PDF whose page objects are readable without decompressing; else ``None``."""
        return self.inspect().pages

    def page_size(self) -> tuple[float, float] | None:
        """Width and height in points when every readable ``/MediaBox`` agrees; else ``None``."""
        return self.inspect().page_size


class StreamedJsonBody:
    """A JSON object whose ``file`` member is a PDF base64-encoded while it is sent.

    Iterating yields the body in pieces; ``len()`` is the exact byte length, so the request carries a
    ``Content-Length`` rather than chunked encoding. Create a new instance for each attempt.

    :param size: the PDF's size as inspected (else it is asked for, without reading the file).
    """

    def __init__(
        self, fields: Mapping[str, Any], pdf: PdfFile, *, key: str = "file", size: int | None = None
    ) -> None:
        rest = json.dumps(
            {k: v for k, v in fields.items() if k != key}, separators=(",", ":"), ensure_ascii=False
        )
        self._head = f'{{"{key}":"'.encode()
        self._tail = ('"' + ("," + rest[1:] if rest != "{}" else "}")).encode()
        self._pdf = pdf
        self._size = pdf.size if size is None else size

    def __len__(self) -> int:
        return len(self._head) + 4 * math.ceil(self._size / 3) + len(self._tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        sent = 0
        for chunk in self._pdf.chunks():
            sent += len(chunk)
            yield base64.b64encode(chunk)
        if sent != self._size:
            # The Content-Length already went out; a changed file would corrupt the request.
            raise SignsConfigError(
                f"{self._pdf.field}: {self._pdf.name} changed size while it was being sent "
                f"({self._size} then {sent} bytes)."
            )
        yield self._tail
