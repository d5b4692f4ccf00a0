"""Callback encryption (WXBizMsgCrypt): checked against an independent AES/SHA-1 reading."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from services.workflow.domain.callback_crypto import (
    CallbackCrypto,
    CallbackError,
    dingtalk_reply,
)

TOKEN = "callback-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
RECEIVE_ID = "dingcorp0123"
RANDOM16 = bytes(range(16))
CHINESE = st.text(alphabet="审批通过驳回撤销业务编号备注同意中文，。abc 123\n", max_size=200)


def crypto(receive_id: str = RECEIVE_ID, token: str = TOKEN) -> CallbackCrypto:
    return CallbackCrypto(token, AES_KEY, receive_id)


def raw_decrypt(encrypted: str) -> bytes:
    """AES-256-CBC decryption with the scheme's key and IV, padding left in place."""
    key = base64.b64decode(AES_KEY + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    return decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()


def raw_encrypt(plain: bytes) -> str:
    """AES-256-CBC encryption of already padded bytes."""
    key = base64.b64decode(AES_KEY + "=")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def layout(msg: str, receive_id: str = RECEIVE_ID, prefix: bytes = RANDOM16) -> bytes:
    """The scheme's plaintext, built by hand: random, length, message, receive id."""
    body = msg.encode()
    return prefix + struct.pack(">I", len(body)) + body + receive_id.encode()


def pad32(data: bytes) -> bytes:
    amount = 32 - len(data) % 32
    return data + bytes([amount]) * amount


@given(st.text(max_size=300) | CHINESE)
def test_round_trip_of_any_text(msg: str) -> None:
    box = crypto()
    assert box.decrypt(box.encrypt(msg)) == msg


@given(CHINESE)
def test_plaintext_layout_and_padding_to_32_byte_blocks(msg: str) -> None:
    encrypted = crypto().encrypt(msg, random16=RANDOM16)
    plain = raw_decrypt(encrypted)
    assert len(plain) % 32 == 0
    assert plain == pad32(layout(msg))
    amount = plain[-1]
    assert 1 <= amount <= 32


def test_aligned_plaintext_gets_a_whole_block_of_padding() -> None:
    # 16 + 4 + 12 ("dingcorp0123") = 32: a 32-byte message keeps the total aligned.
    msg = "x" * 32
    assert len(layout(msg)) % 32 == 0
    plain = raw_decrypt(crypto().encrypt(msg))
    assert len(plain) == len(layout(msg)) + 32
    assert plain[-32:] == bytes([32]) * 32


def test_padding_to_16_byte_blocks_is_refused() -> None:
    plain = layout("hello")  # 16 + 4 + 5 + 12 = 37 bytes
    padded16 = plain + bytes([11]) * 11  # 48 bytes: AES accepts it, the scheme does not
    with pytest.raises(CallbackError):
        crypto().decrypt(raw_encrypt(padded16))


def test_worked_example_with_a_fixed_random_prefix() -> None:
    msg = '{"EventType":"check_url"}'
    encrypted = crypto().encrypt(msg, random16=RANDOM16)
    assert encrypted == raw_encrypt(pad32(layout(msg)))
    assert encrypted == (
        "IG+0eOkLdhYW9kHtuT3HY8kWG8jbEE10nbJa8R2L8e4kC1V4zOoh2hLYmblXU14MoKqrEPJNzxeJkHGKpPAsLw=="
    )
    assert crypto().decrypt(encrypted) == msg


def test_wrong_receive_id_is_refused() -> None:
    encrypted = crypto("another-corp").encrypt("审批通过")
    with pytest.raises(CallbackError, match="receive id"):
        crypto().decrypt(encrypted)


def test_a_receive_id_that_only_starts_right_is_refused() -> None:
    encrypted = crypto(RECEIVE_ID + "x").encrypt("审批通过")
    with pytest.raises(CallbackError):
        crypto().decrypt(encrypted)


def test_a_length_beyond_the_plaintext_is_refused() -> None:
    plain = RANDOM16 + struct.pack(">I", 1000) + b"short" + RECEIVE_ID.encode()
    with pytest.raises(CallbackError, match="length"):
        crypto().decrypt(raw_encrypt(pad32(plain)))


def test_a_message_that_is_not_utf8_is_refused() -> None:
    body = "审批".encode()[:-1]
    plain = RANDOM16 + struct.pack(">I", len(body)) + body + RECEIVE_ID.encode()
    with pytest.raises(CallbackError, match="UTF-8"):
        crypto().decrypt(raw_encrypt(pad32(plain)))


def tampered(encrypted: str, index: int, bit: int = 1) -> str:
    sealed = bytearray(base64.b64decode(encrypted))
    sealed[index] ^= bit
    return base64.b64encode(bytes(sealed)).decode()


@pytest.mark.parametrize("index", [-1, -8, -16, -17, -32])
def test_tampered_last_blocks_are_refused(index: int) -> None:
    encrypted = crypto().encrypt("审批通过，同意。", random16=RANDOM16)
    with pytest.raises(CallbackError):
        crypto().decrypt(tampered(encrypted, index))


@pytest.mark.parametrize(
    "bad",
    ["", "not base64!", base64.b64encode(b"x" * 31).decode(), base64.b64encode(b"x" * 48).decode()],
)
def test_malformed_ciphertext_is_refused(bad: str) -> None:
    with pytest.raises(CallbackError):
        crypto().decrypt(bad)


def test_truncated_ciphertext_is_refused() -> None:
    sealed = base64.b64decode(crypto().encrypt("x" * 60))
    with pytest.raises(CallbackError):
        crypto().decrypt(base64.b64encode(sealed[:-32]).decode())


@given(st.integers(min_value=0, max_value=63), st.integers(min_value=0, max_value=7))
def test_any_change_to_the_ciphertext_breaks_the_signature(index: int, bit: int) -> None:
    box = crypto()
    encrypted = box.encrypt("审批通过", random16=RANDOM16)
    signature = box.signature("1700000000", "nonce", encrypted)
    changed = tampered(encrypted, index, 1 << bit)
    assert not box.verify(signature, "1700000000", "nonce", changed)


@given(st.text(max_size=20), st.text(max_size=20), st.text(max_size=60))
def test_signature_is_sha1_of_the_sorted_four_strings(timestamp: str, nonce: str, enc: str) -> None:
    joined = "".join(sorted([TOKEN, timestamp, nonce, enc]))
    expected = hashlib.sha1(joined.encode("utf-8")).hexdigest()
    box = crypto()
    assert box.signature(timestamp, nonce, enc) == expected
    assert box.verify(expected, timestamp, nonce, enc)


def test_signature_worked_example() -> None:
    # Sorted by code point: digits before upper case before lower case.
    parts = sorted([TOKEN, "1409659813", "1372623149", "ENCRYPTED"])
    assert parts == ["1372623149", "1409659813", "ENCRYPTED", TOKEN]
    expected = hashlib.sha1(b"13726231491409659813ENCRYPTEDcallback-token").hexdigest()
    assert crypto().signature("1409659813", "1372623149", "ENCRYPTED") == expected


def test_verify_refuses_wrong_and_odd_signatures() -> None:
    box = crypto()
    good = box.signature("1", "n", "e")
    assert box.verify(good, "1", "n", "e")
    assert not box.verify(good, "2", "n", "e")
    assert not box.verify(good.upper(), "1", "n", "e")
    assert not box.verify("", "1", "n", "e")
    assert not box.verify("签名", "1", "n", "e")
    assert not crypto(token="other-token").verify(good, "1", "n", "e")


def test_dingtalk_reply_is_the_signed_encrypted_success() -> None:
    box = crypto()
    reply = dingtalk_reply(box, timestamp="1700000000123", nonce="abc123")
    assert set(reply) == {"msg_signature", "timeStamp", "nonce", "encrypt"}
    assert (reply["timeStamp"], reply["nonce"]) == ("1700000000123", "abc123")
    assert box.verify(reply["msg_signature"], "1700000000123", "abc123", reply["encrypt"])
    assert box.decrypt(reply["encrypt"]) == "success"
    other = dingtalk_reply(box, "check ok", timestamp="1", nonce="2")
    assert box.decrypt(other["encrypt"]) == "check ok"


@pytest.mark.parametrize("key", ["", "a" * 42, "a" * 44, "a" * 42 + "!", "a" * 41 + "=="])
def test_bad_encoding_aes_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError):
        CallbackCrypto(TOKEN, key, RECEIVE_ID)


def test_empty_token_or_receive_id_is_refused() -> None:
    with pytest.raises(ValueError):
        CallbackCrypto("", AES_KEY, RECEIVE_ID)
    with pytest.raises(ValueError):
        CallbackCrypto(TOKEN, AES_KEY, "")


def test_random16_must_be_16_bytes_and_repr_hides_secrets() -> None:
    with pytest.raises(ValueError):
        crypto().encrypt("x", random16=b"short")
    assert AES_KEY not in repr(crypto()) and TOKEN not in repr(crypto())
    assert crypto().receive_id == RECEIVE_ID


def test_encryptions_differ_by_their_random_prefix() -> None:
    box = crypto()
    assert box.encrypt("same") != box.encrypt("same")
