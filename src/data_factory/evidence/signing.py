"""Signatures of evidence documents (Ed25519 through `cryptography`).

A document's ``signature`` block says who signed it and how::

    {"algorithm": "ssh-ed25519", "key_id": "SHA256:...", "principal": "...",
     "namespace": "factory-evidence" | "factory-approval", "value": BASE64}

The signature covers ``signed_bytes(document, namespace)``: a fixed prefix,
the namespace, then the document's canonical JSON without its ``signature``
block and with ``report.sha256`` empty (the bytes ``content_sha256`` covers
minus the signature). Approvals are signed by the owner's key (namespace
``factory-approval``); every other document by the factory's run key
(``factory-evidence``): ``FACTORY_SIGNING_KEY`` (an OpenSSH private key),
else the home's development key, created on first use in ``keys/`` of the
home and trusted only for documents inside that home.

API: ``load_private_key(path)``, ``run_signer(home)`` -> Signer,
``sign_document(document, signer)``, ``Trust`` / ``trust_for(home)``,
``verify_signature(document, trust)`` -> a problem (str) or None,
``signed_by_development_key(document, trust)``.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from data_factory.core.errors import EXIT_USAGE, FactoryError
from data_factory.evidence.signers import (
    ALGORITHM,
    APPROVAL_NAMESPACE,
    EVIDENCE_NAMESPACE,
    AllowedSigners,
    key_id,
    load_allowed_signers,
    public_key_line,
)

SIGNING_KEY_ENV = "FACTORY_SIGNING_KEY"
DEVELOPMENT_KEY = "factory_dev_ed25519"  # in <home>/keys/
DEVELOPMENT_PRINCIPAL = "factory-development"
_PREFIX = b"data-factory-signature-v1\0"


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey
    key_id: str
    principal: str
    namespace: str


def namespace_of(document: dict) -> str:
    return APPROVAL_NAMESPACE if document.get("kind") == "approval" else EVIDENCE_NAMESPACE


def signed_bytes(document: dict, namespace: str) -> bytes:
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    unsigned["report"] = {**(document.get("report") or {}), "sha256": ""}
    canonical = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _PREFIX + namespace.encode() + b"\0" + canonical.encode("utf-8")


def _key_error(code: str, message: str) -> FactoryError:
    error = FactoryError(code, message)
    error.exit_code = EXIT_USAGE
    return error


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """An unencrypted OpenSSH (or PEM) Ed25519 private key; a clear error
    (SIGNING_KEY_INVALID, exit 2) for anything else."""
    path = Path(path).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _key_error(
            "SIGNING_KEY_INVALID", f"cannot read the key {path}: {exc.strerror or exc}"
        ) from None
    try:
        if b"OPENSSH PRIVATE KEY" in data:
            key = serialization.load_ssh_private_key(data, password=None)
        else:
            key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise _key_error(
            "SIGNING_KEY_INVALID",
            f"{path} is not an unencrypted Ed25519 private key ({exc}); "
            "create one with `ssh-keygen -t ed25519 -N '' -f PATH`",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise _key_error("SIGNING_KEY_INVALID", f"{path} is not an Ed25519 key")
    return key


def development_key_path(home: Path) -> Path:
    return Path(home) / "keys" / DEVELOPMENT_KEY


def _development_key(home: Path) -> Ed25519PrivateKey:
    """The home's development run key, created on first use (and said so,
    once, like a self-signed development certificate)."""
    path = development_key_path(home)
    if path.exists():
        return load_private_key(path)
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as stream:
        stream.write(private)
    Path(f"{path}.pub").write_text(
        f"{public_key_line(key.public_key())} {DEVELOPMENT_PRINCIPAL}\n", encoding="utf-8"
    )
    print(
        f"note: FACTORY_SIGNING_KEY is not set; created a development run key {path} "
        "(trusted only for evidence in this home; set FACTORY_SIGNING_KEY for production)",
        file=sys.stderr,
    )
    return key


def run_signer(home: Path) -> Signer:
    """The key evidence written by this process is signed with."""
    named = os.environ.get(SIGNING_KEY_ENV)
    key = load_private_key(Path(named)) if named else _development_key(home)
    kid = key_id(key.public_key())
    entry = load_allowed_signers().lookup(kid, EVIDENCE_NAMESPACE)
    principal = entry.principals[0] if entry else DEVELOPMENT_PRINCIPAL
    return Signer(key, kid, principal, EVIDENCE_NAMESPACE)


def approval_signer(key: Ed25519PrivateKey, principal: str) -> Signer:
    return Signer(key, key_id(key.public_key()), principal, APPROVAL_NAMESPACE)


def sign_document(document: dict, signer: Signer) -> None:
    """Add (or replace) the document's signature block, in place."""
    document.pop("signature", None)
    value = signer.private_key.sign(signed_bytes(document, signer.namespace))
    document["signature"] = {
        "algorithm": ALGORITHM,
        "key_id": signer.key_id,
        "principal": signer.principal,
        "namespace": signer.namespace,
        "value": base64.b64encode(value).decode(),
    }


@dataclass(frozen=True)
class Trust:
    """What a signature is checked against: the allowed-signers file, and
    the development run key of the home the documents live in (if any)."""

    signers: AllowedSigners
    development: Ed25519PublicKey | None
    development_id: str | None


def trust_for(home: Path | None) -> Trust:
    signers = load_allowed_signers()
    public = Path(f"{development_key_path(home)}.pub") if home else None
    try:
        text = public.read_bytes() if public else b""
    except OSError:
        text = b""
    if not text:
        return Trust(signers, None, None)
    try:
        key = serialization.load_ssh_public_key(b" ".join(text.split()[:2]))
    except (ValueError, TypeError):
        return Trust(signers, None, None)
    if not isinstance(key, Ed25519PublicKey):
        return Trust(signers, None, None)
    return Trust(signers, key, key_id(key))


def trust_near(path: Path, home: Path | None = None) -> Trust:
    """The trust for an evidence file: the development key of its home (the
    folder above its `evidence/` folder), else of `home`."""
    path = Path(path).resolve()
    return trust_for(path.parent.parent if path.parent.name == "evidence" else home)


def _public_key(block: dict, trust: Trust, namespace: str) -> tuple[Ed25519PublicKey | None, str]:
    kid = block.get("key_id")
    entry = trust.signers.lookup(kid, namespace)
    if entry:
        if block.get("principal") not in entry.principals:
            return None, (
                f"it names principal {block.get('principal')!r}, but {trust.signers.path} "
                f"lists key {kid} for {', '.join(entry.principals)}"
            )
        return entry.public_key, ""
    if namespace == EVIDENCE_NAMESPACE and kid and kid == trust.development_id:
        return trust.development, ""
    return None, (
        f"key {kid} is not allowed to sign {namespace} documents: it is not in "
        f"{trust.signers.path}"
        + (" and is not this home's development run key" if namespace == EVIDENCE_NAMESPACE else "")
    )


def verify_signature(document: dict, trust: Trust) -> str | None:
    """None when the document carries a valid signature by a key allowed for
    its namespace; otherwise the problem, as `EVIDENCE_SIGNATURE_INVALID: ...`."""
    block = document.get("signature")
    if not isinstance(block, dict):
        return "EVIDENCE_SIGNATURE_INVALID: the document is not signed"
    namespace = namespace_of(document)
    if block.get("namespace") != namespace or block.get("algorithm") != ALGORITHM:
        return (
            f"EVIDENCE_SIGNATURE_INVALID: signed as {block.get('algorithm')} "
            f"{block.get('namespace')}, expected {ALGORITHM} {namespace}"
        )
    key, why = _public_key(block, trust, namespace)
    if key is None:
        return f"EVIDENCE_SIGNATURE_INVALID: {why}"
    try:
        key.verify(base64.b64decode(block.get("value") or ""), signed_bytes(document, namespace))
    except (InvalidSignature, ValueError):
        return (
            "EVIDENCE_SIGNATURE_INVALID: the signature of "
            f"{block.get('principal')} ({block.get('key_id')}) does not match the content; "
            "the file was changed after it was signed"
        )
    return None


def signed_by_development_key(document: dict, trust: Trust) -> bool:
    block = document.get("signature") or {}
    return bool(trust.development_id) and block.get("key_id") == trust.development_id
