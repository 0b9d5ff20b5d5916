"""Standard Webhooks signatures: HMAC-SHA256 over ``{webhook-id}.{webhook-timestamp}.{body}``, sent in
``webhook-signature`` as space-separated ``v1,<base64>`` entries, so a sender rotating its secret can
sign with the old and the new one at once. Verification takes the clock and tolerance from the caller
(the reference library reads the system clock and fixes five minutes)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from functools import lru_cache

SECRET_PREFIX = "whsec_"
MAX_SIGNATURES = 10
MAX_ID = 200
NO_ACTIVE_SECRET = "geen geldige handtekening voor een actief geheim van deze bron"


class SignatureError(Exception):
    """The delivery is not authentic or not fresh; the message says which."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as error:
        raise ValueError(f"geen geldig webhookgeheim (verwacht {SECRET_PREFIX}<base64>)") from error
    if len(key) < 24:
        raise ValueError("een webhookgeheim heeft minstens 24 bytes")
    return key


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    return _signer(secret)(message_id, timestamp, body)


class Signer:
    """Signs with one secret, its key decoded once: for a sender of many deliveries."""

    def __init__(self, secret: str) -> None:
        self._mac = hmac.new(secret_key(secret), digestmod=hashlib.sha256)

    def __call__(self, message_id: str, timestamp: int, body: bytes) -> str:
        mac = self._mac.copy()
        mac.update(f"{message_id}.{timestamp}.".encode() + body)
        return "v1," + base64.b64encode(mac.digest()).decode()


@lru_cache(maxsize=256)
def _signer(secret: str) -> Signer:
    """A secret's key is decoded once per process, not once per delivery."""
    return Signer(secret)


def signed_headers(secrets_: Iterable[str], message_id: str, at: datetime, body: bytes) -> dict[str, str]:
    timestamp = int(at.timestamp())
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(sign(s, message_id, timestamp, body) for s in secrets_)}


def verify(secrets_: Iterable[str], headers: Mapping[str, str], body: bytes, now: datetime,
           tolerance: timedelta) -> tuple[str, str]:
    """The ``webhook-id`` of an authentic, fresh delivery and the secret it was signed with; SignatureError
    otherwise."""
    message_id, stamp, signatures = (headers.get(h, "").strip() for h in
                                     ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not (message_id and stamp and signatures):
        raise SignatureError("webhook-id, webhook-timestamp en webhook-signature zijn verplicht")
    if len(message_id) > MAX_ID or not message_id.isprintable() or not message_id.isascii():
        raise SignatureError(f"webhook-id is hoogstens {MAX_ID} afdrukbare ASCII-tekens")
    if not stamp.isdigit() or len(stamp) > 12:
        raise SignatureError("webhook-timestamp is geen Unix-tijd in seconden")
    age = now.timestamp() - int(stamp)
    if abs(age) > tolerance.total_seconds():
        raise SignatureError(f"webhook-timestamp ligt {abs(int(age))} s {'voor' if age > 0 else 'na'} nu; "
                             f"toegelaten is {int(tolerance.total_seconds())} s")
    offered = {_decoded(entry) for entry in signatures.split(" ")[:MAX_SIGNATURES]} - {None}
    for secret in secrets_:
        expected = _decoded(sign(secret, message_id, int(stamp), body))
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            return message_id, secret
    raise SignatureError(NO_ACTIVE_SECRET)


def _decoded(entry: str) -> bytes | None:
    version, _, value = entry.partition(",")
    if version != "v1":
        return None
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        return None
