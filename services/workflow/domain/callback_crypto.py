"""Callback encryption of DingTalk and WeCom (the WXBizMsgCrypt scheme), without I/O.

Both services sign and encrypt every callback the same way:

* the key is base64-decode(EncodingAESKey + "="): 43 characters give 32 bytes (AES-256);
  the IV is the key's first 16 bytes; the cipher is AES-256-CBC;
* the plaintext is 16 random bytes + the message length (4 bytes, big-endian) + the
  message (UTF-8) + the receive id (DingTalk: app key, corp id or suite key; WeCom: corp
  id), padded PKCS#7-style to a multiple of **32** bytes (not AES's 16);
* the signature is the SHA-1 hex digest of the sorted concatenation of token, timestamp,
  nonce and the base64 ciphertext.

Check the signature (`verify`) before decrypting: an unsigned ciphertext never reaches the
padding check, so its error messages cannot be used as a padding oracle.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from typing import Final

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK_SIZE: Final = 32
RANDOM_SIZE: Final = 16
_LENGTH_SIZE: Final = 4
KEY_CHARS: Final = 43


class CallbackError(ValueError):
    """A callback whose signature, ciphertext, padding or receive id is wrong."""


def _pad(data: bytes) -> bytes:
    """PKCS#7 padding to a multiple of 32 bytes (a full block when already aligned)."""
    amount = BLOCK_SIZE - len(data) % BLOCK_SIZE
    return data + bytes([amount]) * amount


def _unpad(data: bytes) -> bytes:
    """Strip the 32-byte PKCS#7 padding; `CallbackError` when it is not well formed."""
    amount = data[-1]
    if not 1 <= amount <= BLOCK_SIZE or data[-amount:] != bytes([amount]) * amount:
        raise CallbackError("bad padding")
    return data[:-amount]


class CallbackCrypto:
    """Signs, encrypts and decrypts callback messages for one app (token, key, receive id)."""

    __slots__ = ("_key", "_receive_id", "_token")

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        if not token:
            raise ValueError("the callback token must not be empty")
        if not receive_id:
            raise ValueError("the receive id must not be empty")
        if len(encoding_aes_key) != KEY_CHARS:
            raise ValueError(f"the EncodingAESKey must have {KEY_CHARS} characters")
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("the EncodingAESKey is not base64") from exc
        if len(key) != 32:
            raise ValueError("the EncodingAESKey must decode to 32 bytes")
        self._token = token
        self._key = key
        self._receive_id = receive_id.encode("utf-8")

    def __repr__(self) -> str:
        return f"CallbackCrypto(receive_id={self.receive_id!r})"

    @property
    def receive_id(self) -> str:
        """The id expected after every message (app key, corp id or suite key)."""
        return self._receive_id.decode("utf-8")

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def encrypt(self, msg: str, *, random16: bytes | None = None) -> str:
        """Encrypt `msg` (base64 answer); `random16` fixes the random prefix (tests only)."""
        prefix = os.urandom(RANDOM_SIZE) if random16 is None else random16
        if len(prefix) != RANDOM_SIZE:
            raise ValueError(f"random16 must be {RANDOM_SIZE} bytes")
        body = msg.encode("utf-8")
        plain = prefix + struct.pack(">I", len(body)) + body + self._receive_id
        encryptor = self._cipher().encryptor()
        sealed = encryptor.update(_pad(plain)) + encryptor.finalize()
        return base64.b64encode(sealed).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        """The message inside `encrypted`; `CallbackError` on bad base64, padding or id."""
        try:
            sealed = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CallbackError("ciphertext is not base64") from exc
        if not sealed or len(sealed) % BLOCK_SIZE:
            raise CallbackError(f"ciphertext is not a multiple of {BLOCK_SIZE} bytes")
        decryptor = self._cipher().decryptor()
        content = _unpad(decryptor.update(sealed) + decryptor.finalize())
        header = RANDOM_SIZE + _LENGTH_SIZE
        if len(content) < header:
            raise CallbackError("plaintext too short")
        (length,) = struct.unpack(">I", content[RANDOM_SIZE:header])
        if header + length > len(content):
            raise CallbackError("message length exceeds the plaintext")
        receive_id = content[header + length :]
        if not hmac.compare_digest(receive_id, self._receive_id):
            raise CallbackError("receive id does not match")
        try:
            return content[header : header + length].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CallbackError("message is not UTF-8") from exc

    def signature(self, timestamp: str, nonce: str, encrypted: str) -> str:
        """SHA-1 hex of the sorted concatenation of token, timestamp, nonce and ciphertext."""
        joined = "".join(sorted([self._token, timestamp, nonce, encrypted]))
        return hashlib.sha1(joined.encode("utf-8")).hexdigest()

    def verify(self, signature: str, timestamp: str, nonce: str, encrypted: str) -> bool:
        """Whether `signature` signs the three values (constant-time comparison)."""
        expected = self.signature(timestamp, nonce, encrypted)
        return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8"))


def dingtalk_reply(
    crypto: CallbackCrypto, plaintext: str = "success", *, timestamp: str, nonce: str
) -> dict[str, str]:
    """DingTalk's expected JSON answer to a callback: the encrypted, signed `plaintext`."""
    encrypted = crypto.encrypt(plaintext)
    return {
        "msg_signature": crypto.signature(timestamp, nonce, encrypted),
        "timeStamp": timestamp,
        "nonce": nonce,
        "encrypt": encrypted,
    }
