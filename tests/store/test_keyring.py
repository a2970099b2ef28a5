from __future__ import annotations

import base64
import os
import stat
import threading
from pathlib import Path

import pytest

from sagegate.store.errors import KeyringError, SealedDataError
from sagegate.store.keyring import ENV_VAR, KEY_FILE, Keyring


def b64key(fill: int) -> str:
    return base64.b64encode(bytes([fill]) * 32).decode()


def test_seal_open_round_trip() -> None:
    kr = Keyring.generate("k1")
    blob = kr.seal(b"secret bytes", b"ctx")
    assert b"secret bytes" not in blob
    assert kr.open(blob, b"ctx") == b"secret bytes"
    assert kr.key_id_of(blob) == "k1"


def test_seal_is_randomised() -> None:
    kr = Keyring.generate()
    assert kr.seal(b"x", b"a") != kr.seal(b"x", b"a")


def test_every_single_byte_change_is_detected() -> None:
    kr = Keyring.generate("k1")
    blob = kr.seal(b"secret", b"ctx")
    for i in range(len(blob)):
        tampered = bytearray(blob)
        tampered[i] ^= 0x01
        with pytest.raises(SealedDataError):
            kr.open(bytes(tampered), b"ctx")


def test_truncation_and_wrong_aad_are_detected() -> None:
    kr = Keyring.generate("k1")
    blob = kr.seal(b"secret", b"ctx")
    with pytest.raises(SealedDataError):
        kr.open(blob, b"other-ctx")
    for n in (0, 1, 3, len(blob) - 1):
        with pytest.raises(SealedDataError):
            kr.open(blob[:n], b"ctx")


def test_other_key_cannot_open() -> None:
    blob = Keyring.generate("k1").seal(b"secret", b"")
    with pytest.raises(SealedDataError):
        Keyring.generate("k1").open(blob, b"")  # same id, different key
    with pytest.raises(SealedDataError, match="unknown key id"):
        Keyring.generate("k2").open(blob, b"")


def test_rotation_old_key_still_opens_new_key_seals() -> None:
    old = Keyring.parse(b64key(1))
    blob_old = old.seal(b"before", b"aad")
    old_kid = old.current_key_id
    assert old_kid.startswith("k-")
    rotated = Keyring.parse(f"new:{b64key(2)},{b64key(1)}")
    assert rotated.current_key_id == "new"
    assert set(rotated.key_ids) == {"new", old_kid}
    assert rotated.open(blob_old, b"aad") == b"before"
    blob_new = rotated.seal(b"after", b"aad")
    assert rotated.key_id_of(blob_new) == "new"
    with pytest.raises(SealedDataError):
        old.open(blob_new, b"aad")


def test_parse_named_list_and_errors() -> None:
    kr = Keyring.parse(f" a:{b64key(1)} , b:{b64key(2)} ")
    assert kr.current_key_id == "a" and kr.key_ids == ("a", "b")
    for bad in [
        "",
        "   ",
        "not base64!",
        base64.b64encode(b"short").decode(),
        f"a:{b64key(1)},a:{b64key(2)}",
        f"bad id:{b64key(1)}",
    ]:
        with pytest.raises(KeyringError):
            Keyring.parse(bad)


def test_repr_hides_key_material() -> None:
    kr = Keyring.parse(f"a:{b64key(7)}")
    assert b64key(7) not in repr(kr)


def test_load_prefers_env(tmp_path: Path) -> None:
    kr = Keyring.load(tmp_path, env={ENV_VAR: f"envkey:{b64key(3)}"})
    assert kr.current_key_id == "envkey"
    assert not (tmp_path / KEY_FILE).exists()


def test_load_creates_private_key_file_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    kr1 = Keyring.load(data, env={})
    path = data / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kr2 = Keyring.load(data, env={})
    assert kr1.current_key_id == kr2.current_key_id
    assert kr2.open(kr1.seal(b"x", b""), b"") == b"x"
    assert [p.name for p in data.iterdir()] == [KEY_FILE]  # no temp files left behind


def test_key_file_created_private_despite_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        Keyring.load(tmp_path, env={})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o620])
def test_refuses_group_or_world_accessible_key_file(tmp_path: Path, mode: int) -> None:
    Keyring.load(tmp_path, env={})
    (tmp_path / KEY_FILE).chmod(mode)
    with pytest.raises(KeyringError, match="group or others"):
        Keyring.load(tmp_path, env={})


def test_key_file_accepts_rotation_list(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE
    path.write_text(f"new:{b64key(2)},old:{b64key(1)}\n")
    path.chmod(0o600)
    kr = Keyring.load(tmp_path, env={})
    assert kr.current_key_id == "new" and kr.key_ids == ("new", "old")


def test_concurrent_first_start_agrees_on_one_key(tmp_path: Path) -> None:
    results: list[Keyring] = []
    barrier = threading.Barrier(8)

    def load() -> None:
        barrier.wait()
        results.append(Keyring.load(tmp_path, env={}))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({kr.current_key_id for kr in results}) == 1
    blob = results[0].seal(b"x", b"")
    assert all(kr.open(blob, b"") == b"x" for kr in results)
