"""Response bodies: orjson, with the standard library for integers beyond 64 bits."""

from __future__ import annotations

import json

import pytest

from shared.http.commands import json_bytes


def test_ordinary_payloads_are_compact_json() -> None:
    payload = {"a": [1, "二", None, True], "b": {"c": 1.5}}
    assert json_bytes(payload) == '{"a":[1,"二",null,true],"b":{"c":1.5}}'.encode()


def test_integers_beyond_64_bits_still_render() -> None:
    huge = -27606786434772786607444199473152
    body = json_bytes({"maximum": 2**70, "list": [huge, "é"]})
    assert json.loads(body) == {"maximum": 2**70, "list": [huge, "é"]}
    expected = f'{{"maximum":1180591620717411303424,"list":[{huge},"é"]}}'
    assert body == expected.encode()


def test_what_json_cannot_hold_is_still_an_error() -> None:
    with pytest.raises(TypeError):
        json_bytes({"a": object()})
