"""json's C encoder built once, not at every call: ``json.dumps`` and ``JSONEncoder.encode`` build a new one
each time, a noticeable share of encoding the small values a command writes (a task's state, a JSON column)."""

from __future__ import annotations

import threading
from json import JSONEncoder
from json.encoder import c_make_encoder, encode_basestring, encode_basestring_ascii
from typing import Any


class ReusedEncoder(threading.local):
    """``settings.encode(value)``, with the C encoder built once per thread: its memo of the containers it is
    inside (what finds a circular reference) is the thread's own. A failure leaves entries in it, holding
    what was being written, so it is emptied then."""

    def __init__(self, settings: JSONEncoder) -> None:
        self._inside: dict = {}
        strings = encode_basestring_ascii if settings.ensure_ascii else encode_basestring
        self._chunks = c_make_encoder(self._inside, settings.default, strings, settings.indent,
                                      settings.key_separator, settings.item_separator, settings.sort_keys,
                                      settings.skipkeys, settings.allow_nan)

    def encode(self, value: Any) -> str:
        try:
            return "".join(self._chunks(value, 0))
        except BaseException:
            self._inside.clear()
            raise
