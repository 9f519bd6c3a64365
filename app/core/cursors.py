"""Opaque page cursors: encrypted and authenticated (cryptography's Fernet), so a caller can neither read the
position inside (a date, for national oversight, is a day they must not learn) nor forge one.

The key is derived from the service's secret with HKDF for this one purpose, so it is never the token-signing
key itself. The current secret encrypts; the previous ones (while they are listed for rotation) still decrypt, so
a client paging through a list when the key changes carries on. A cursor that does not decrypt (tampered, from
another service, or from a key no longer listed) is a 422 naming `cursor`, like any other bad parameter.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.core.errors import invalid_field

MAX_CURSOR_LENGTH = 400


class CursorCodec:
    def __init__(self, secrets: list[str]) -> None:
        """`secrets`: the current secret first, then any previous ones."""
        self._fernet = MultiFernet([_fernet_for(secret) for secret in secrets])

    def encode(self, position: list[Any]) -> str:
        return self._fernet.encrypt(json.dumps(position, separators=(",", ":")).encode()).decode()

    def decode(self, cursor: str, what: str = "this list") -> list[Any]:
        """The position inside, or a 422 naming `cursor`."""
        try:
            position = json.loads(self._fernet.decrypt(cursor.encode()))
        except (InvalidToken, ValueError, UnicodeError):
            raise invalid_field("cursor", f"not a cursor this service issued for {what}", location="query") from None
        if not isinstance(position, list):
            raise invalid_field("cursor", f"not a cursor this service issued for {what}", location="query")
        return position


def _fernet_for(secret: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"leder page cursor v1").derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))
