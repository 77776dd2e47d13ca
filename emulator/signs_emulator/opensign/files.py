"""Pre-signed-style, expiring download URLs for document files, certificates and template files.

OpenSign hands out pre-signed object-storage URLs that need no ``x-api-token`` and stop working after a
while; clients are expected to call ``GET /document/{id}`` again for a fresh one. The emulator mimics that
with stateless tokens: the token names what to serve and until when, and carries an HMAC so it cannot be
forged or extended.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..clock import Clock

#: Lifetime of a download URL. [INFERRED] from ``X-Amz-Expires=900`` in the official webhook sample;
#: OpenSign does not document the lifetime itself.
URL_LIFETIME = timedelta(seconds=900)

#: What a token can point at.
FILE_KINDS = ("file", "certificate", "template")


class InvalidFileToken(Exception):
    """The token is malformed, forged or expired; ``code`` is the S3-style error code to answer with."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class FileRef:
    """What a download token points at: ``kind`` of object ``object_id`` in ``env``, file ``version``."""

    env: str
    kind: str
    object_id: str
    version: int
    expires_at: datetime


class FileSigner:
    """Issues and checks download tokens; a fresh random key per emulator process."""

    def __init__(self, clock: Clock, lifetime: timedelta = URL_LIFETIME) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self._key = os.urandom(32)

    def issue(self, env: str, kind: str, object_id: str, version: int) -> str:
        """Return a token valid for the URL lifetime from the emulator clock's now."""
        # Rounded up, so a URL never lives shorter than the lifetime.
        expires = math.ceil((self._clock.now() + self._lifetime).timestamp())
        payload = json.dumps([env, kind, object_id, version, expires], separators=(",", ":")).encode()
        body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
        return f"{body}.{self._sign(body)}"

    def check(self, token: str) -> FileRef:
        """Decode ``token``; raise :class:`InvalidFileToken` if it is forged or expired."""
        body, _, signature = token.partition(".")
        if not signature or not hmac.compare_digest(signature, self._sign(body)):
            raise InvalidFileToken(
                "SignatureDoesNotMatch", "The request signature we calculated does not match."
            )
        try:
            env, kind, object_id, version, expires = json.loads(
                base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            )
        except (ValueError, binascii.Error) as exc:  # cannot happen for our own signed tokens
            raise InvalidFileToken("InvalidToken", "Malformed token.") from exc
        expires_at = datetime.fromtimestamp(expires, tz=self._clock.now().tzinfo)
        if self._clock.now() >= expires_at:
            raise InvalidFileToken("AccessDenied", "Request has expired")
        return FileRef(env=env, kind=kind, object_id=object_id, version=version, expires_at=expires_at)

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:40]


def s3_error_xml(code: str, message: str) -> str:
    """The XML error body object storage answers with for a bad pre-signed URL."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
