"""Invitation codes: typed by bereaved people, so readable; random enough that guessing is hopeless."""

from __future__ import annotations

import hashlib
import re
import secrets

# Crockford's base32: no I, L, O or U, so nothing is misread. 20 characters = 100 bits.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LENGTH = 20
_SEPARATORS = re.compile(r"[\s-]+")


def new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _LENGTH, 4))  # e.g. 7Q2M-XK4P-...


def normalise(code: str) -> str:
    """Case, spaces and hyphens do not matter; O and I typed for 0 and 1 are read as meant."""
    return _SEPARATORS.sub("", code).upper().replace("O", "0").replace("I", "1").replace("L", "1")


def code_hash(code: str) -> str:
    # A fast hash is enough at 100 bits of entropy; a slow one would only slow the exchange.
    return hashlib.sha256(normalise(code).encode()).hexdigest()
