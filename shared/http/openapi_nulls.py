"""Examples keep their `null` values in the OpenAPI document.

FastAPI encodes the finished document with `exclude_none` to drop the unset fields of its
OpenAPI models, and that also drops every `null` inside the examples: a response example
would show a nullable field (a lot's expiry date, an approval's decision) as missing. Here
the same document is also dumped with pydantic's `exclude_none`, which drops the models'
unset fields but leaves values of free-form data alone, and the examples are taken from
that dump. Nothing else in the document changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fastapi.openapi.utils as openapi_utils
from fastapi.openapi.models import OpenAPI

EXAMPLE_KEYS = frozenset({"example", "examples"})
#: The encoder `fastapi.openapi.utils.get_openapi` calls last, on the whole document.
ENCODER = "jsonable_encoder"


def with_example_nulls(generate: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run FastAPI's `generate()` and put back the `null`s its encoding dropped from the
    examples."""
    captured: list[OpenAPI] = []
    encode = getattr(openapi_utils, ENCODER)

    def capturing(obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(obj, OpenAPI):
            captured.append(obj)
        return encode(obj, *args, **kwargs)

    setattr(openapi_utils, ENCODER, capturing)
    try:
        document = generate()
    finally:
        setattr(openapi_utils, ENCODER, encode)
    if captured:
        restore_examples(
            document, captured[-1].model_dump(mode="json", by_alias=True, exclude_none=True)
        )
    return document


def restore_examples(document: Any, full: Any, *, in_properties: bool = False) -> None:
    """Copy every `example`/`examples` value of `full` into `document` (the same document
    with `null`s dropped), except where the key is a property's name."""
    if isinstance(document, dict) and isinstance(full, dict):
        for key, value in document.items():
            if key not in full:
                continue
            if key in EXAMPLE_KEYS and not in_properties:
                document[key] = full[key]
            else:
                restore_examples(value, full[key], in_properties=key == "properties")
    elif isinstance(document, list) and isinstance(full, list) and len(document) == len(full):
        for item, whole in zip(document, full, strict=True):
            restore_examples(item, whole)
