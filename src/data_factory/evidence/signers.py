"""Who may sign what: the project's allowed-signers file.

The file is ssh-keygen's ``allowed_signers`` format (see ssh-keygen(1),
"ALLOWED SIGNERS"), one key a line::

    principal[,principal...] [namespaces="ns[,ns...]"] ssh-ed25519 AAAA... [comment]

It lives in the repository (``allowed_signers`` at its root) and is reviewed
like code; ``FACTORY_ALLOWED_SIGNERS`` points at another one (tests do). Two
namespaces separate the keys:

* ``factory-evidence``: the factory's run keys, which sign every evidence
  document a run, a gate or ``factory evidence`` writes;
* ``factory-approval``: owners' keys, which sign approvals. Whether the
  principal may approve *that* consumer is decided by the dbt project's
  owners (``project.consumers.approvers``), matched to the principals.

A line without ``namespaces=`` is valid for both. Only Ed25519 keys are
accepted. Parsing is written here because ``cryptography`` loads one key, not
this file format; ssh-keygen's other options (``cert-authority``,
``valid-before``...) are refused, not ignored.

API: ``allowed_signers_path()``, ``load_allowed_signers(path)`` -> AllowedSigners,
``AllowedSigners.lookup(key_id, namespace)`` -> the entry or None,
``key_id(public_key)`` -> ``SHA256:...`` as ``ssh-keygen -l`` prints it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from data_factory.core.errors import EXIT_USAGE, FactoryError
from data_factory.core.paths import PROJECT_DIR

EVIDENCE_NAMESPACE = "factory-evidence"
APPROVAL_NAMESPACE = "factory-approval"
NAMESPACES = (EVIDENCE_NAMESPACE, APPROVAL_NAMESPACE)
ALGORITHM = "ssh-ed25519"
ENV_VAR = "FACTORY_ALLOWED_SIGNERS"


def allowed_signers_path() -> Path:
    """The allowed-signers file in use: $FACTORY_ALLOWED_SIGNERS, else the
    project's `allowed_signers`."""
    named = os.environ.get(ENV_VAR)
    return Path(named).resolve() if named else PROJECT_DIR / "allowed_signers"


def key_id(public_key: Ed25519PublicKey) -> str:
    """The key's fingerprint as `ssh-keygen -l` prints it: SHA256 of the
    OpenSSH wire blob, base64 without padding."""
    blob = public_key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    wire = base64.b64decode(blob.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(wire).digest()).decode().rstrip("=")


def public_key_line(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


@dataclass(frozen=True)
class AllowedSigner:
    principals: tuple[str, ...]
    namespaces: tuple[str, ...]  # empty: every namespace
    public_key: Ed25519PublicKey = field(compare=False)
    key_id: str
    line: int

    def allows(self, namespace: str) -> bool:
        return not self.namespaces or namespace in self.namespaces


@dataclass
class AllowedSigners:
    path: Path
    entries: list[AllowedSigner]

    def lookup(self, key_id_: str, namespace: str) -> AllowedSigner | None:
        """The entry listing this key for this namespace, if any."""
        for entry in self.entries:
            if entry.key_id == key_id_ and entry.allows(namespace):
                return entry
        return None


def _bad(path: Path, number: int, why: str) -> FactoryError:
    error = FactoryError("SIGNERS_INVALID", f"{path} line {number}: {why}")
    error.exit_code = EXIT_USAGE
    return error


def _entry(path: Path, number: int, text: str) -> AllowedSigner:
    words = shlex.split(text, comments=False, posix=True)
    if len(words) < 3:
        raise _bad(path, number, 'expected `principals [namespaces="..."] ssh-ed25519 KEY`')
    principals, rest = tuple(p for p in words[0].split(",") if p), words[1:]
    namespaces: tuple[str, ...] = ()
    while rest and rest[0] != ALGORITHM:
        option = rest.pop(0)
        name, _, value = option.partition("=")
        if name.lower() != "namespaces":
            raise _bad(path, number, f"option {name!r} is not supported (only namespaces=)")
        namespaces = tuple(n for n in value.split(",") if n)
        unknown = sorted(set(namespaces) - set(NAMESPACES))
        if unknown:
            raise _bad(path, number, f"unknown namespace {unknown[0]!r}; known: {NAMESPACES}")
    if len(rest) < 2:
        raise _bad(path, number, f"no {ALGORITHM} public key (only Ed25519 keys are accepted)")
    try:
        key = serialization.load_ssh_public_key(f"{rest[0]} {rest[1]}".encode())
    except (ValueError, TypeError) as exc:
        raise _bad(path, number, f"the public key does not load: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise _bad(path, number, "only Ed25519 keys are accepted")
    return AllowedSigner(principals, namespaces, key, key_id(key), number)


_CACHE: dict[tuple[Path, int, int], AllowedSigners] = {}


def load_allowed_signers(path: Path | None = None) -> AllowedSigners:
    """Parse the allowed-signers file (cached while it is unchanged). A file
    that does not exist lists nobody; a line that does not parse is an error
    naming the file and the line."""
    path = Path(path) if path else allowed_signers_path()
    try:
        stat = path.stat()
    except OSError:
        return AllowedSigners(path, [])
    cache_key = (path, stat.st_mtime_ns, stat.st_size)
    if cache_key not in _CACHE:
        entries = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            text = line.strip()
            if text and not text.startswith("#"):
                entries.append(_entry(path, number, text))
        _CACHE[cache_key] = AllowedSigners(path, entries)
    return _CACHE[cache_key]
