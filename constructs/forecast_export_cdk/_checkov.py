"""checkov findings acknowledged in the template itself, each with its reason.

checkov reads ``Metadata.checkov.skip`` on a resource; like the cdk-nag acknowledgments, the
reason travels with the template, so that anyone who scans a synthesized stack sees why.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnResource

METADATA_KEY = "checkov"


def skip_checkov_check(resource: CfnResource, check_id: str, reason: str) -> None:
    """Add one skip (``check_id`` with ``reason``) to ``resource``, keeping the ones it has."""
    existing: dict[str, Any] = resource.get_metadata(METADATA_KEY) or {}
    skips = [skip for skip in existing.get("skip", []) if skip["id"] != check_id]
    skips.append({"id": check_id, "comment": reason})
    resource.add_metadata(METADATA_KEY, {**existing, "skip": skips})
