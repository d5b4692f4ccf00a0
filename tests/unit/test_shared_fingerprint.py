"""request_fingerprint: equal requests hash equal, different requests never collide."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from shared.http.idempotency import StoredResponse, request_fingerprint


def fp(body: bytes | str, method: str = "POST", path: str = "/v1/x", query: str = "") -> str:
    raw = body.encode() if isinstance(body, str) else body
    return request_fingerprint(method, path, query, raw)


def test_json_key_order_and_whitespace_do_not_matter() -> None:
    assert fp('{"a": 1, "b": [1, 2], "c": {"y": 1, "x": 2}}') == fp(
        '{"c":{"x":2,"y":1},"b":[1,2],"a":1}'
    )
    assert fp('{"name": "é"}') == fp('{"name":"\\u00e9"}')


def test_any_real_difference_changes_the_hash() -> None:
    base = fp('{"a": 1}')
    assert len(base) == 64
    assert fp('{"a": 2}') != base
    assert fp('{"a": "1"}') != base
    assert fp('{"a": 1, "b": null}') != base
    assert fp('{"a": [1]}') != base
    assert fp('{"a": 1}', method="PUT") != base
    assert fp('{"a": 1}', path="/v1/y") != base
    assert fp('{"a": 1}', query="dry_run=true") != base
    assert fp("[2, 1]") != fp("[1, 2]")  # arrays keep their order


def test_method_is_case_insensitive() -> None:
    assert fp("{}", method="post") == fp("{}", method="POST")


def test_parts_are_length_prefixed() -> None:
    assert fp("", path="/v1/ab", query="") != fp("", path="/v1/a", query="b")
    assert fp("x", path="/v1/a", query="") != fp("", path="/v1/a", query="x")


def test_non_json_bodies_are_hashed_as_bytes() -> None:
    assert fp(b"\xff\x00raw") == fp(b"\xff\x00raw")
    assert fp(b"\xff\x00raw") != fp(b"\xff\x00rax")
    assert fp(b"") == fp(b"") and fp(b"") != fp(b"{}")
    assert fp("a,b\n1,2") != fp("a,b\n1,3")


def test_decimal_numbers_beyond_float_precision_are_different_requests() -> None:
    # 0.1 and 0.10000000000000000001 are the same float; as quantities they differ
    assert fp('{"qty": 0.1}') != fp('{"qty": 0.10000000000000000001}')
    assert fp('{"qty": 12345678901234567.5}') != fp('{"qty": 12345678901234568}')
    assert fp('{"qty": 1.5}') == fp('{ "qty" : 1.5 }')


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=10)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_any_serialisation_of_the_same_document_hashes_equal(doc) -> None:
    compact = json.dumps(doc, separators=(",", ":"))
    pretty = json.dumps(doc, indent=3, ensure_ascii=False)
    assert fp(compact) == fp(pretty)


@given(json_values, json_values)
def test_different_documents_hash_differently(a, b) -> None:
    if json.dumps(a, sort_keys=True) != json.dumps(b, sort_keys=True):
        assert fp(json.dumps(a)) != fp(json.dumps(b))


def test_deeply_nested_bodies_are_hashed_as_bytes() -> None:
    deep = b"[" * 100_000
    assert fp(deep) == fp(deep) != fp(b"[" * 99_999)


def test_stored_response_replays_with_the_replay_header() -> None:
    stored = StoredResponse(201, b'{"id":1}', {"etag": 'W/"1"', "content-type": "application/json"})
    response = stored.to_response()
    assert response.status_code == 201 and response.body == b'{"id":1}'
    assert response.headers["idempotent-replayed"] == "true"
    assert response.headers["etag"] == 'W/"1"'
    assert response.headers["content-type"] == "application/json"


def _form(boundary: str, content: bytes, name: str = "file") -> tuple[bytes, str]:
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="a.xlsx"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f'multipart/form-data; boundary="{boundary}"'


def test_a_multipart_upload_is_the_same_request_whatever_its_boundary() -> None:
    first, first_type = _form("a1b2c3", b"PK\x03\x04 the sheet")
    again, again_type = _form("zz-9999-other", b"PK\x03\x04 the sheet")
    assert first != again
    assert request_fingerprint("POST", "/v1/x", "", first, first_type) == request_fingerprint(
        "POST", "/v1/x", "", again, again_type
    )
    changed, changed_type = _form("zz-9999-other", b"PK\x03\x04 the sheeT")
    renamed, renamed_type = _form("zz-9999-other", b"PK\x03\x04 the sheet", name="other")
    base = request_fingerprint("POST", "/v1/x", "", first, first_type)
    assert request_fingerprint("POST", "/v1/x", "", changed, changed_type) != base
    assert request_fingerprint("POST", "/v1/x", "", renamed, renamed_type) != base
    assert request_fingerprint("POST", "/v1/x", "dry_run=true", first, first_type) != base
    # without the content type the boundary is part of the bytes hashed, as before
    assert request_fingerprint("POST", "/v1/x", "", first) != request_fingerprint(
        "POST", "/v1/x", "", again
    )
