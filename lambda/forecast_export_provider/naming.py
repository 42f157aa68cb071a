"""Names for exports whose name property is omitted."""

from __future__ import annotations

import hashlib
import re

MAX_NAME_LENGTH = 63
_DIGEST_LENGTH = 16


def generated_name(stack_id: str, logical_id: str, request_id: str) -> str:
    """A valid export name, unique per (stack, logical resource, request).

    The same request always yields the same name, so a repeated delivery finds and adopts the
    export it already created; a replacement (a new request) gets a fresh name.
    """
    digest = hashlib.sha256(f"{stack_id}\n{logical_id}\n{request_id}".encode()).hexdigest()
    readable = re.sub(r"[^A-Za-z0-9]", "", logical_id)
    if not readable[:1].isalpha():
        readable = "export" + readable
    readable = readable[: MAX_NAME_LENGTH - _DIGEST_LENGTH - 1]
    return f"{readable}_{digest[:_DIGEST_LENGTH]}"
