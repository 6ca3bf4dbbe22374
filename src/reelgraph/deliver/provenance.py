"""Provenance at delivery: an ASC MHL history over ``deliverables/`` and, on request, a C2PA
manifest inside each MP4/MOV master.

**ASC MHL** (ASC Media Hash List v2, the ``ascmhl`` reference library): every delivery adds a
generation to ``deliverables/ascmhl/``; files already recorded are ``verified``, new ones
``original``; ``ascmhl verify deliverables`` checks every file against the history. ASC MHL
has no action for a file replaced on purpose (a changed hash *is* a failed verification), so
a delivery that replaces a recorded file (a re-rendered master, the rewritten
``manifest.json``) starts a new history and keeps the previous one, unchanged, under
``ascmhl-superseded/GENERATION-DATE/`` (ignored by the new history), as an archive keeps the
history of an earlier package.

**C2PA** (``c2pa-python``, the Content Authenticity Initiative's library; extra ``[sign]``):
``reelgraph deliver --sign KEY CERT`` embeds a signed manifest in each MP4/MOV master whose
assertions carry the recipe — sources with their rights and consent, agents and versions,
models and their checksums — and the approvals (who, when, which master's sha256). The key
and certificate are checked before anything is copied.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reelgraph import __version__
from reelgraph.errors import ProjectError
from reelgraph.orchestrator.cache import file_sha256
from reelgraph.project.folder import Project

#: The hash ASC MHL records (the format's default, what DIT tools write and check).
MHL_HASH = "xxh64"
#: Where the histories of earlier packages go when a delivery replaces a recorded file.
SUPERSEDED = "ascmhl-superseded"
#: Masters that carry a C2PA manifest, by suffix, with the MIME type c2pa is given.
C2PA_FORMATS = {".mp4": "video/mp4", ".mov": "video/quicktime"}
#: Assertion labels (reverse-DNS, as C2PA asks of private assertions).
RECIPE_LABEL = "org.reelgraph.recipe"
APPROVALS_LABEL = "org.reelgraph.approvals"
#: IPTC digital source type of a master: pictures captured by a camera, then processed.
DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
SIGN_HINT = "install the signing extra: pip install 'reelgraph[sign]'"


# --- ASC MHL -------------------------------------------------------------------------------


def _changed_since_history(folder: Path) -> list[str]:
    """Files the folder's ASC MHL history records whose content is now different or gone."""
    from ascmhl.hasher import hash_file
    from ascmhl.history import MHLHistory

    history = MHLHistory.load_from_path(str(folder))
    changed = []
    for path in sorted(history.set_of_file_paths()):
        relative = history.get_relative_file_path(path)
        entry = history.find_original_hash_entry_for_path(relative)
        if entry is None:  # a folder's entry
            continue
        if not os.path.isfile(path) or hash_file(path, entry.hash_format) != entry.hash_string:
            changed.append(relative)
    return changed


def _not_delivered(folder: Path, changed: list[str]) -> list[str]:
    """The changed files this delivery did not write: not its manifest or checksums, and
    not matching the checksum ``SHA256SUMS`` (just written) gives them."""
    sums = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        sums[name] = digest
    return [
        name
        for name in changed
        if name not in ("manifest.json", "SHA256SUMS")
        and not (
            name in sums and (folder / name).is_file() and file_sha256(folder / name) == sums[name]
        )
    ]


def seal_delivery(folder: Path, *, comment: str, author: str | None = None) -> dict[str, Any]:
    """Add an ASC MHL generation over the delivery folder (a new history when the delivery
    replaced recorded files). Returns what was done: ``{"generation", "superseded"}``."""
    with warnings.catch_warnings():  # ascmhl's ignore patterns use a pathspec form pathspec
        warnings.simplefilter("ignore", DeprecationWarning)  # deprecates; not the user's to fix
        return _seal(folder, comment, author)


def _seal(folder: Path, comment: str, author: str | None) -> dict[str, Any]:
    from ascmhl import errors as mhl_errors
    from ascmhl.commands import create_for_folder_subcommand

    superseded = None
    history_folder = folder / "ascmhl"
    if history_folder.is_dir():
        changed = _changed_since_history(folder)
        damaged = _not_delivered(folder, changed)
        if damaged:
            raise ProjectError(
                f"{', '.join(damaged)} in {folder} changed since the last ASC MHL generation "
                "and is not what this delivery wrote (damaged, or edited by hand); the new "
                "files are delivered, but no ASC MHL generation was added",
                path=folder,
                hint="'ascmhl-debug verify deliverables' lists the differences; restore or "
                "remove those files (a delivered master comes back with 'reelgraph deliver'), "
                "then deliver again",
            )
        if changed:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            superseded = folder / SUPERSEDED / stamp
            superseded.parent.mkdir(exist_ok=True)
            os.replace(history_folder, superseded)
    out, err = io.StringIO(), io.StringIO()
    try:  # the library reports on stdout/stderr through click; keep --json output clean
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            create_for_folder_subcommand(
                str(folder.resolve()),
                False,  # verbose
                False,  # detect_renaming
                [MHL_HASH],
                False,  # no_directory_hashes
                author,
                None,
                None,
                "delivery" if author else None,
                None,
                comment,
                [f"{SUPERSEDED}/"],
                None,
            )
    except (mhl_errors.VerificationFailedException, mhl_errors.CompletedWithErrors) as exc:
        raise ProjectError(
            f"the ASC MHL generation over {folder} found files that do not match: "
            f"{err.getvalue().strip() or exc}",
            path=folder,
            hint="check the deliverables' disk, then deliver again",
        ) from exc
    generations = sorted((folder / "ascmhl").glob("*.mhl"))
    return {
        "generation": len(generations),
        "superseded": str(superseded.relative_to(folder)) if superseded else None,
    }


# --- C2PA ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """A checked signing key and certificate chain (PEM), and the algorithm they imply."""

    key_pem: bytes
    chain_pem: bytes
    alg: str
    subject: str


def _alg_for(key: Any) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, ec.EllipticCurvePrivateKey):
        algs = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if key.curve.name in algs:
            return algs[key.curve.name]
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    elif isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    raise ProjectError(
        f"C2PA cannot sign with this kind of key ({type(key).__name__})",
        hint="use an EC P-256/P-384/P-521, Ed25519 or RSA key (C2PA 2.1, §13.2)",
    )


def load_credentials(key_path: Path, cert_path: Path) -> Credentials:
    """Read and check a PEM private key and certificate chain before anything is delivered:
    the libraries are installed, both files parse, and the certificate is the key's."""
    try:
        import c2pa  # noqa: F401  (checked here so a missing extra fails before any copy)
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
    except ImportError as exc:
        raise ProjectError(
            "deliver --sign needs c2pa-python and cryptography, which are not installed",
            hint=SIGN_HINT,
        ) from exc
    try:
        key_pem = key_path.read_bytes()
        chain_pem = cert_path.read_bytes()
    except OSError as exc:
        raise ProjectError(
            f"cannot read the signing {'key' if exc.filename == str(key_path) else 'certificate'}"
            f": {exc.strerror}",
            path=exc.filename,
            hint="give --sign KEY.pem CERT.pem: a PEM private key and its certificate chain",
        ) from exc
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ProjectError(
            f"not an unencrypted PEM private key: {exc}",
            path=key_path,
            hint="export the key as unencrypted PEM (PKCS #8), e.g. openssl pkcs8 -topk8 -nocrypt",
        ) from exc
    try:
        chain = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as exc:
        raise ProjectError(
            f"not a PEM certificate chain: {exc}",
            path=cert_path,
            hint="give the signing certificate first, then its issuing CA(s), all PEM",
        ) from exc
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if chain[0].public_key().public_bytes(der, spki) != key.public_key().public_bytes(der, spki):
        raise ProjectError(
            "the signing certificate is not the key's (their public keys differ)",
            path=cert_path,
            hint="give the certificate issued for this key (first in the chain file)",
        )
    credentials = Credentials(key_pem, chain_pem, _alg_for(key), chain[0].subject.rfc4514_string())
    _trial_sign(credentials, cert_path)
    return credentials


def _trial_sign(credentials: Credentials, cert_path: Path) -> None:
    """Sign a 1×1 PNG in memory: c2pa refuses a certificate C2PA does not allow for signing
    (a CA, no digitalSignature, expired) only when signing, which must fail here, before any
    master is copied, not halfway through a delivery."""
    import c2pa
    import cv2
    import numpy as np

    png = cv2.imencode(".png", np.zeros((1, 1, 3), np.uint8))[1].tobytes()
    created = {"action": "c2pa.created", "digitalSourceType": DIGITAL_SOURCE_TYPE}
    manifest = {
        "claim_generator_info": [{"name": "reelgraph", "version": __version__}],
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [created]}}],
    }
    try:
        with (
            c2pa.Signer.from_info(_signer_info(credentials)) as signer,
            c2pa.Builder(manifest) as builder,
        ):
            builder.sign(signer, "image/png", io.BytesIO(png), io.BytesIO())
    except c2pa.C2paError as exc:
        raise ProjectError(
            f"C2PA will not sign with this certificate: {exc}",
            path=cert_path,
            hint="use an end-entity certificate (not a CA) with key usage digitalSignature, "
            "an extended key usage such as emailProtection, within its validity",
        ) from exc


def _signer_info(credentials: Credentials) -> Any:
    import c2pa

    return c2pa.C2paSignerInfo(
        credentials.alg.encode(), credentials.chain_pem, credentials.key_pem, None
    )


def _models(step: dict[str, Any]) -> list[dict[str, Any]]:
    """Model files a step's parameters name, with their checksums as they are now."""
    found = []
    for name, value in step.get("params", {}).items():
        if "model" in name and isinstance(value, str) and value and Path(value).is_file():
            found.append({"param": name, "path": value, "sha256": file_sha256(Path(value))})
    return found


def _assertions(project: Project, item: dict[str, Any], master_sha256: str) -> list[Any]:
    sources = {r.id: r.rights for r in project.store.sources()}
    used = {s for step in item.get("recipe", []) for s in step.get("sources", [])}
    named = [item["source"]] if item.get("source") else []
    named += sorted({c.get("source") for c in item.get("clips", []) if c.get("source")})
    recipe = {
        "project": project.brief().project,
        "shot": item["shot"],
        "key": item["key"],
        "sources": [{"id": s, "rights": sources.get(s)} for s in named],
        "source_fingerprints": sorted(used),
        "steps": [
            {
                "agent": step["agent"],
                "version": step["version"],
                "key": step["key"],
                "params": step["params"],
                "variables": step.get("variables", {}),
                "libraries": step.get("libraries", {}),
                "models": _models(step),
            }
            for step in item.get("recipe", [])
        ],
    }
    approvals = [
        {
            "decision": r.decision,
            "by": r.by,
            "at": r.at,
            "note": r.note,
            "key": r.key,
            "master_sha256": master_sha256,
        }
        for r in project.store.reviews(key=item["key"])
    ]
    agents = [{"name": step["agent"], "version": str(step["version"])} for step in item["recipe"]]
    return [
        {
            "label": "c2pa.actions",
            "data": {
                "actions": [
                    {
                        "action": "c2pa.created",
                        "softwareAgent": {"name": "reelgraph", "version": __version__},
                        "digitalSourceType": DIGITAL_SOURCE_TYPE,
                        "parameters": {"agents": agents},
                    }
                ]
            },
        },
        {"label": RECIPE_LABEL, "data": recipe},
        {"label": APPROVALS_LABEL, "data": {"approvals": approvals}},
    ]


def sign_masters(
    project: Project,
    folder: Path,
    items: list[dict[str, Any]],
    credentials: Credentials,
    *,
    actor: str | None = None,
) -> list[str]:
    """Embed a C2PA manifest in each delivered MP4/MOV master of ``items`` (in place, through
    a temporary file), updating their sha256 and size; the signing is audited. Returns the
    files signed."""
    import c2pa

    signed = []
    info = _signer_info(credentials)
    for item in items:
        for entry in item["files"]:
            mime = C2PA_FORMATS.get(Path(entry["file"]).suffix.lower())
            if mime is None:
                continue
            target = folder / entry["file"]
            tmp = target.with_name(f".{target.name}.c2pa.tmp")
            manifest = {
                "claim_generator_info": [{"name": "reelgraph", "version": __version__}],
                "title": target.name,
                "format": mime,
                "assertions": _assertions(project, item, entry["sha256"]),
            }
            try:
                with (
                    c2pa.Signer.from_info(info) as signer,
                    c2pa.Builder(manifest) as builder,
                    target.open("rb") as src,
                    tmp.open("wb") as dst,
                ):
                    builder.sign(signer, mime, src, dst)
            except c2pa.C2paError as exc:
                tmp.unlink(missing_ok=True)
                raise ProjectError(
                    f"C2PA signing of {target.name} failed: {exc}",
                    path=target,
                    hint="check that the certificate allows signing (key usage "
                    "digitalSignature, not a CA) and is within its validity",
                ) from exc
            os.replace(tmp, target)
            unsigned = entry["sha256"]
            entry.update(sha256=file_sha256(target), size=target.stat().st_size)
            entry["c2pa"] = {"signer": credentials.subject, "unsigned_sha256": unsigned}
            project.audit.append(
                "c2pa_sign",
                item["shot"],
                {"file": target.name, "signer": credentials.subject, "sha256": entry["sha256"],
                 "unsigned_sha256": unsigned},
                actor=actor,
            )  # fmt: skip
            signed.append(target.name)
    return signed
