"""Names for exports whose name property is omitted, and the names a resource may own.

A generated name is ``<head><request digest>``. The head, ``<readable logical id>_<stack digest>_``,
is the same for every request of one logical resource of one stack, and is known at synth time
(from the stack's name and the logical id) as well as at run time (from the request's ``StackId``
and ``LogicalResourceId``): IAM policies and state-change rules match it, and the handler checks it
before it touches an export (contract section 4, "Only its own exports").
"""

from __future__ import annotations

import hashlib
import re

MAX_NAME_LENGTH = 63
_DIGEST_LENGTH = 16
"""Hex digits of the per-request digest."""
_STACK_DIGEST_LENGTH = 8
"""Hex digits of the (stack name, logical id) digest in the head."""
_MAX_READABLE_LENGTH = MAX_NAME_LENGTH - _DIGEST_LENGTH - _STACK_DIGEST_LENGTH - 2
_LEGACY_MAX_READABLE_LENGTH = MAX_NAME_LENGTH - _DIGEST_LENGTH - 1


def _readable(logical_id: str, length: int) -> str:
    readable = re.sub(r"[^A-Za-z0-9]", "", logical_id)
    if not readable[:1].isalpha():
        readable = "export" + readable
    return readable[:length]


def stack_name_of(stack_id: str) -> str:
    """The stack's name in a ``StackId`` (``arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>``).

    Anything else is returned whole, so that it still makes a head of its own.
    """
    parts = stack_id.split(":", 5)
    if len(parts) == 6 and parts[5].startswith("stack/"):
        return parts[5].split("/")[1]
    return stack_id


def generated_name_head(stack_name: str, logical_id: str) -> str:
    """The stable start of every name generated for ``logical_id`` in the stack named ``stack_name``."""
    digest = hashlib.sha256(f"{stack_name}\n{logical_id}".encode()).hexdigest()
    return f"{_readable(logical_id, _MAX_READABLE_LENGTH)}_{digest[:_STACK_DIGEST_LENGTH]}_"


def generated_name(stack_id: str, logical_id: str, request_id: str) -> str:
    """A valid export name, unique per (stack, logical resource, request).

    The same request always yields the same name, so a repeated delivery finds and adopts the
    export it already created; a replacement (a new request) gets a fresh name.
    """
    digest = hashlib.sha256(f"{stack_id}\n{logical_id}\n{request_id}".encode()).hexdigest()
    return generated_name_head(stack_name_of(stack_id), logical_id) + digest[:_DIGEST_LENGTH]


def legacy_name_head(logical_id: str) -> str:
    """The head of the names that releases before the stack digest generated: ``<readable logical id>_``.

    Such a name is the head and 16 hex digits; it names no stack (see docs/design.md, "Ownership").
    """
    return _readable(logical_id, _LEGACY_MAX_READABLE_LENGTH) + "_"


LEGACY_DIGEST_LENGTH = _DIGEST_LENGTH
"""Hex digits after :func:`legacy_name_head` in a name an earlier release generated."""


def is_generated_for(name: str, stack_name: str, logical_id: str) -> bool:
    """True when ``name`` is one the provider generates, or generated before the stack digest, for
    ``logical_id`` of the stack named ``stack_name``."""
    digits = f"[0-9a-f]{{{_DIGEST_LENGTH}}}"
    for head in (generated_name_head(stack_name, logical_id), legacy_name_head(logical_id)):
        if re.fullmatch(re.escape(head) + digits, name):
            return True
    return False
