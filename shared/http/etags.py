"""Optimistic concurrency over HTTP: `ETag: W/"<version>"` out, `If-Match` in.

A row with a `version` answers with its ETag; an update names the version it read in
`If-Match`: 428 without it, 422 when it is not one of ours, and the use-case answers 412
when the row has moved on.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from shared.errors import FieldError, InvalidInput, PreconditionRequired

#: A route parameter: the If-Match header.
IfMatch = Annotated[str | None, Header(description="ETag of the version you read")]


def etag(version: int) -> str:
    return f'W/"{version}"'


def version_from_if_match(header: str) -> int | None:
    """The version an If-Match header names (`W/"3"`, `"3"`), or None if it names none."""
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    return int(value) if value.isdigit() else None


def expected_version(if_match: str | None, what: str) -> int:
    """The version an If-Match header names: 428 when missing, 422 when unreadable."""
    if if_match is None:
        raise PreconditionRequired(f"send the {what}'s ETag as If-Match")
    version = version_from_if_match(if_match)
    if version is None:
        raise InvalidInput(
            "If-Match is not an ETag of this API",
            errors=[FieldError("header.If-Match", 'expected W/"<version>"')],
        )
    return version


def etag_header(result: object) -> dict[str, str]:
    """`ETag` of a response model that has a `version`."""
    return {"ETag": etag(int(getattr(result, "version")))}  # noqa: B009
