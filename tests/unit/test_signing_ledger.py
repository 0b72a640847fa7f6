"""Signatures (evidence.signing, evidence.signers) and the ledger
(evidence.ledger) on small hand-made documents: what a forger changes is
found, and two writers at once get consecutive places."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from data_factory.core.errors import FactoryError
from data_factory.evidence.ledger import append, verify_chain
from data_factory.evidence.signers import key_id, load_allowed_signers, public_key_line
from data_factory.evidence.signing import (
    Trust,
    approval_signer,
    load_private_key,
    run_signer,
    sign_document,
    trust_for,
    verify_signature,
)


def write_key(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    return key


@pytest.fixture
def owner(tmp_path, monkeypatch) -> Ed25519PrivateKey:
    key = write_key(tmp_path / "owner")
    signers = tmp_path / "allowed_signers"
    signers.write_text(
        "# reviewed like code\n"
        f'ana.lima,ana@example.com namespaces="factory-approval" '
        f"{public_key_line(key.public_key())} ana@laptop\n"
    )
    monkeypatch.setenv("FACTORY_ALLOWED_SIGNERS", str(signers))
    monkeypatch.delenv("FACTORY_SIGNING_KEY", raising=False)
    return key


def document(kind: str = "factory_run", rows: int = 10) -> dict:
    return {"run_id": "r-1", "kind": kind, "assets": [{"rows": rows}], "report": {"sha256": ""}}


def test_key_id_is_what_ssh_keygen_prints(tmp_path, owner):
    public = tmp_path / "owner.pub"
    public.write_text(public_key_line(owner.public_key()) + " ana\n")
    try:
        printed = subprocess.run(
            ["ssh-keygen", "-lf", str(public)], capture_output=True, text=True, check=True
        ).stdout.split()[1]
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("ssh-keygen is not installed")
    assert key_id(owner.public_key()) == printed


def test_the_allowed_signers_file_names_principals_and_namespaces(owner):
    signers = load_allowed_signers()
    kid = key_id(owner.public_key())
    entry = signers.lookup(kid, "factory-approval")
    assert entry and entry.principals == ("ana.lima", "ana@example.com")
    assert signers.lookup(kid, "factory-evidence") is None  # an owner's key signs no runs


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("ana ssh-ed25519", "expected `principals"),
        ('ana namespaces="git" ssh-ed25519 AAAA', "unknown namespace 'git'"),
        ("ana cert-authority ssh-ed25519 AAAA", "option 'cert-authority' is not supported"),
        ("ana ssh-ed25519 not-base64", "the public key does not load"),
    ],
)
def test_a_line_that_does_not_parse_names_the_file_and_line(tmp_path, line, message):
    path = tmp_path / "allowed_signers"
    path.write_text(f"# header\n{line}\n")
    with pytest.raises(FactoryError) as raised:
        load_allowed_signers(path)
    assert raised.value.reason_code == "SIGNERS_INVALID"
    assert f"{path} line 2" in raised.value.message and message in raised.value.message


def test_an_approval_signed_by_a_listed_owner_verifies_and_an_edit_does_not(owner):
    approval = document("approval")
    sign_document(approval, approval_signer(owner, "ana.lima"))
    trust = trust_for(None)
    assert verify_signature(approval, trust) is None
    assert approval["signature"]["key_id"] == key_id(owner.public_key())
    approval["assets"][0]["rows"] = 999_999
    assert "does not match the content" in verify_signature(approval, trust)


def test_a_signature_names_its_principal_and_namespace(owner):
    trust = trust_for(None)
    claimed = document("approval")
    sign_document(claimed, approval_signer(owner, "mallory"))
    assert "lists key" in verify_signature(claimed, trust)  # the file says ana.lima
    as_run = document("factory_run")
    sign_document(as_run, approval_signer(owner, "ana.lima"))  # an approval key, on a run
    assert "expected ssh-ed25519 factory-evidence" in verify_signature(as_run, trust)
    assert verify_signature(document(), trust) == (
        "EVIDENCE_SIGNATURE_INVALID: the document is not signed"
    )


def test_the_development_run_key_is_trusted_in_its_home_only(tmp_path, owner, capsys):
    home, other = tmp_path / "home", tmp_path / "other"
    signed = document()
    sign_document(signed, run_signer(home))
    assert "created a development run key" in capsys.readouterr().err
    run_signer(home)
    assert capsys.readouterr().err == ""  # said once
    assert signed["signature"]["principal"] == "factory-development"
    assert verify_signature(signed, trust_for(home)) is None
    run_signer(other)
    problem = verify_signature(signed, trust_for(other))
    assert "not this home's development run key" in problem


def test_factory_signing_key_signs_as_its_listed_principal(tmp_path, owner, monkeypatch):
    key = write_key(tmp_path / "run-key")
    signers = Path(tmp_path / "allowed_signers")
    signers.write_text(
        signers.read_text()
        + f'scheduler namespaces="factory-evidence" {public_key_line(key.public_key())}\n'
    )
    monkeypatch.setenv("FACTORY_SIGNING_KEY", str(tmp_path / "run-key"))
    signed = document()
    sign_document(signed, run_signer(tmp_path / "home"))
    assert signed["signature"]["principal"] == "scheduler"
    assert verify_signature(signed, Trust(load_allowed_signers(), None, None)) is None
    assert not (tmp_path / "home" / "keys").exists()


def test_a_key_that_is_not_an_ed25519_private_key_is_a_usage_error(tmp_path):
    (tmp_path / "key").write_text("not a key")
    with pytest.raises(FactoryError) as raised:
        load_private_key(tmp_path / "key")
    assert raised.value.reason_code == "SIGNING_KEY_INVALID" and raised.value.exit_code == 2


def _write(folder: Path, run_id: str) -> dict:
    def write(ledger: dict) -> tuple[str, str]:
        data = json.dumps({"run_id": run_id, "ledger": ledger}).encode()
        (folder / f"{run_id}.json").write_bytes(data)
        return f"{run_id}.json", hashlib.sha256(data).hexdigest()

    return append(folder, write)


def chain(folder: Path, count: int) -> list[Path]:
    for n in range(1, count + 1):
        _write(folder, f"r-{n}")
    return [folder / f"r-{n}.json" for n in range(1, count + 1)]


def messages(folder: Path) -> list[str]:
    return [str(p) for p in verify_chain(sorted(folder.glob("*.json")))]


def test_a_whole_chain_verifies(tmp_path):
    files = chain(tmp_path, 3)
    assert [json.loads(f.read_text())["ledger"]["sequence"] for f in files] == [1, 2, 3]
    assert messages(tmp_path) == []


def test_an_edited_file_breaks_the_next_link_and_is_the_one_named(tmp_path):
    files = chain(tmp_path, 3)
    files[1].write_text(files[1].read_text() + " ")
    (problem,) = verify_chain(sorted(tmp_path.glob("*.json")))
    assert problem.file_name == "r-2.json"
    assert "r-3.json follows a file" in problem.message and "changed or replaced" in problem.message


def test_the_newest_file_edited_is_named_from_the_head(tmp_path):
    files = chain(tmp_path, 3)
    files[2].write_text(files[2].read_text() + " ")
    (problem,) = verify_chain(sorted(tmp_path.glob("*.json")))
    assert problem.file_name == "r-3.json" and "the newest file was changed" in problem.message


def test_a_deleted_file_leaves_a_gap_and_the_newest_the_head(tmp_path):
    files = chain(tmp_path, 3)
    files[1].unlink()
    assert messages(tmp_path) == [
        "EVIDENCE_CHAIN_BROKEN: the entry before r-3.json (place 2) is missing: "
        "an evidence file was deleted"
    ]
    files[2].unlink()
    (problem,) = messages(tmp_path)
    assert "the newest files were deleted" in problem


def test_swapped_and_inserted_files_are_named(tmp_path):
    files = chain(tmp_path, 3)
    first, second = files[0].read_bytes(), files[1].read_bytes()
    files[0].write_bytes(second)
    files[1].write_bytes(first)
    found = messages(tmp_path)
    assert any("r-1.json holds run r-2" in m for m in found)
    assert any("r-2.json holds run r-1" in m for m in found)

    other = tmp_path / "other"
    other.mkdir()
    chain(other, 2)
    (other / "r-9.json").write_text(json.dumps({"run_id": "r-9", "ledger": {"sequence": 2}}))
    assert any("r-9.json claims place 2 of the ledger" in m for m in messages(other))
    assert not any("r-2.json claims" in m for m in messages(other))  # the head names r-2


def _append_many(folder: str, prefix: str) -> None:
    for n in range(15):
        _write(Path(folder), f"{prefix}-{n}")


def test_two_writers_at_once_get_consecutive_places(tmp_path):
    context = multiprocessing.get_context("fork")
    writers = [
        context.Process(target=_append_many, args=(str(tmp_path), name)) for name in ("a", "b")
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    places = sorted(
        json.loads(p.read_text())["ledger"]["sequence"] for p in tmp_path.glob("*.json")
    )
    assert places == list(range(1, 31))
    assert messages(tmp_path) == []
