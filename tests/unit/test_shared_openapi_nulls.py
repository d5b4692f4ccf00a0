"""The OpenAPI document keeps the `null`s of examples (FastAPI's encoding drops them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, FastAPI, Path
from pydantic import BaseModel, ConfigDict

from shared.http.problems import install_problem_openapi


class Lot(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"number": "L-1", "expires_on": None, "examples": []}]}
    )

    number: str
    expires_on: str | None = None
    #: a property named like the key: its schema is not an example
    examples: list[str] = []


def app() -> FastAPI:
    api = FastAPI()

    @api.put("/lots/{number}", responses={200: {"content": {"application/json": {
        "example": {"number": "L-1", "expires_on": None, "examples": ["a"]}}}}})  # fmt: skip
    async def put_lot(
        number: Annotated[str, Path(examples=["L-1"])],
        lot: Annotated[
            Lot, Body(openapi_examples={"demo": {"summary": "no expiry", "value": {"a": None}}})
        ],
    ) -> Lot:
        return lot

    install_problem_openapi(api)
    return api


def test_examples_keep_their_nulls_and_nothing_else_changes() -> None:
    document = app().openapi()
    lot = document["components"]["schemas"]["Lot"]
    assert lot["examples"] == [{"number": "L-1", "expires_on": None, "examples": []}]
    # the property's schema is untouched: no `default: null` or other nulls appear
    assert "default" not in lot["properties"]["number"]
    assert lot["properties"]["examples"] == {
        "items": {"type": "string"},
        "type": "array",
        "title": "Examples",
        "default": [],
    }
    operation = document["paths"]["/lots/{number}"]["put"]
    body = operation["requestBody"]["content"]["application/json"]["examples"]
    assert body == {"demo": {"summary": "no expiry", "value": {"a": None}}}
    answer = operation["responses"]["200"]["content"]["application/json"]["example"]
    assert answer == {"number": "L-1", "expires_on": None, "examples": ["a"]}
    assert operation["parameters"][0]["schema"]["examples"] == ["L-1"]
    # FastAPI's own encoder is back in place
    import fastapi.openapi.utils as openapi_utils
    from fastapi.encoders import jsonable_encoder

    assert openapi_utils.jsonable_encoder is jsonable_encoder
