"""The deployment's master keys: AES-256-GCM sealing of secrets at rest and of session tokens.

A `Keyring` maps key ids to 32-byte keys. One key is *current* and seals everything new; the
others are kept only to open what they sealed earlier, so keys can rotate without a flag day.

Where the keys come from (`Keyring.load`):

* env `SAGEGATE_MASTER_KEY`, either the base64 of 32 random bytes (one key), or a comma list
  ``kid:base64,kid:base64,...`` whose FIRST entry is the current key and the rest are old keys
  kept for decryption. A bare base64 entry in the list gets the key id ``k-<8 hex digits of
  SHA-256(key)>``, so a single unnamed key keeps its id when it later becomes an old key:
  rotate by prepending ``new:<base64>`` to the previous value. Key ids match
  ``[A-Za-z0-9._-]{1,32}``.
* otherwise the file ``master.key`` in the data folder, holding the same syntax. It is created
  on first use (one fresh random key, mode 0600, created atomically so two processes starting
  at once agree on one key). A file readable or writable by group or others is refused.

Sealed blob layout (all of it authenticated): ``0x01 | len(kid) | kid | nonce(12) | ct+tag``.
The caller's `aad` binds the blob to its context (e.g. the access key id it belongs to), so a
blob copied to another row fails to open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sagegate.store.errors import KeyringError, SealedDataError

ENV_VAR = "SAGEGATE_MASTER_KEY"
KEY_FILE = "master.key"
_VERSION = 1
_NONCE = 12
_KID_RE = re.compile(r"[A-Za-z0-9._-]{1,32}")


class Keyring:
    """AES-256-GCM keys by id; `current` seals, every key opens."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        if current not in keys:
            raise KeyringError(f"current key id {current!r} is not in the keyring")
        for kid, key in keys.items():
            if not _KID_RE.fullmatch(kid):
                raise KeyringError(f"invalid key id {kid!r}")
            if len(key) != 32:
                raise KeyringError(f"key {kid!r} is not 32 bytes")
        self._aead = {kid: AESGCM(key) for kid, key in keys.items()}
        self._current = current

    @property
    def current_key_id(self) -> str:
        return self._current

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._aead)

    def __repr__(self) -> str:  # never show key material
        return f"Keyring(current={self._current!r}, keys={list(self._aead)!r})"

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def generate(cls, kid: str | None = None) -> Keyring:
        """A keyring with one fresh random key (tests, first start)."""
        key = secrets.token_bytes(32)
        kid = kid or _fingerprint(key)
        return cls({kid: key}, kid)

    @classmethod
    def parse(cls, spec: str) -> Keyring:
        """Parse the `SAGEGATE_MASTER_KEY` / master.key syntax (see the module docstring)."""
        entries = [e.strip() for e in spec.strip().split(",") if e.strip()]
        if not entries:
            raise KeyringError("no master key given")
        keys: dict[str, bytes] = {}
        for entry in entries:
            kid, sep, b64 = entry.partition(":")
            if not sep:
                kid, b64 = "", entry
            try:
                key = base64.b64decode(b64, validate=True)
            except (binascii.Error, ValueError):
                raise KeyringError("master key entry is not valid base64") from None
            if len(key) != 32:
                raise KeyringError("master key entry does not decode to 32 bytes")
            kid = kid or _fingerprint(key)
            if kid in keys:
                raise KeyringError(f"duplicate key id {kid!r}")
            keys[kid] = key
        return cls(keys, next(iter(keys)))

    @classmethod
    def load(cls, data_dir: Path, env: Mapping[str, str] | None = None) -> Keyring:
        """From env `SAGEGATE_MASTER_KEY`, else `data_dir/master.key` (created if missing)."""
        env = os.environ if env is None else env
        spec = env.get(ENV_VAR, "").strip()
        if spec:
            return cls.parse(spec)
        return cls.parse(_read_or_create_key_file(Path(data_dir) / KEY_FILE))

    # -- sealing ------------------------------------------------------------------------------

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        kid = self._current.encode()
        header = bytes([_VERSION, len(kid)]) + kid
        nonce = secrets.token_bytes(_NONCE)
        return header + nonce + self._aead[self._current].encrypt(nonce, plaintext, header + aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        """Decrypt and authenticate; raises `SealedDataError` on any tampering or unknown key."""
        if len(blob) < 2 or blob[0] != _VERSION:
            raise SealedDataError("sealed data has an unknown format")
        end = 2 + blob[1]
        kid = blob[2:end].decode("ascii", "replace")
        aead = self._aead.get(kid)
        if aead is None:
            raise SealedDataError(f"sealed data uses unknown key id {kid!r}")
        nonce, ct = blob[end : end + _NONCE], blob[end + _NONCE :]
        if len(nonce) != _NONCE:
            raise SealedDataError("sealed data is truncated")
        try:
            return aead.decrypt(nonce, ct, blob[:end] + aad)
        except InvalidTag:
            raise SealedDataError("sealed data failed authentication") from None

    def key_id_of(self, blob: bytes) -> str:
        """The key id a blob was sealed with (to find blobs to re-seal after a rotation)."""
        if len(blob) < 2 or blob[0] != _VERSION:
            raise SealedDataError("sealed data has an unknown format")
        return blob[2 : 2 + blob[1]].decode("ascii", "replace")


def _fingerprint(key: bytes) -> str:
    return "k-" + hashlib.sha256(key).hexdigest()[:8]


def _check_mode(path: Path) -> None:
    st = path.stat()
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyringError(
            f"{path} is accessible by group or others (mode {stat.S_IMODE(st.st_mode):04o}); "
            "run: chmod 600 on it"
        )


def _read_or_create_key_file(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        key = secrets.token_bytes(32)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, (base64.b64encode(key).decode() + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic: exactly one creator wins, everyone reads its key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    _check_mode(path)
    return path.read_text()
