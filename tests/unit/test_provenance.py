"""Provenance at delivery: the delivery folder carries an ASC MHL history that ``ascmhl
verify`` accepts and that reports a tampered file; ``deliver --sign KEY CERT`` embeds a C2PA
manifest (recipe, rights, approvals) that c2pa-python reads back and validates; without
``--sign`` the masters are the artifacts' bytes; bad credentials change nothing."""

from __future__ import annotations

import datetime
import getpass
import hashlib
import json
import sys
from fractions import Fraction
from pathlib import Path

import av
import c2pa
import numpy as np
import pytest
from ascmhl.commands import verify as ascmhl_verify
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from reelgraph.cli.main import main
from reelgraph.deliver.delivery import verify_deliverables
from reelgraph.deliver.provenance import APPROVALS_LABEL, RECIPE_LABEL, SUPERSEDED
from reelgraph.orchestrator.agent import Agent, Cost, NodeContext, Output
from reelgraph.orchestrator.executor import InlineExecutor
from reelgraph.orchestrator.graph import Node, Plan
from reelgraph.orchestrator.registry import Registry
from reelgraph.orchestrator.runner import Runner, SourceRef
from reelgraph.project.folder import Project, init_project

# ascmhl's verify builds its ignore patterns in a form pathspec now deprecates
pytestmark = pytest.mark.filterwarnings("ignore:GitWildMatchPattern:DeprecationWarning")

RIGHTS = {"owner": "Test Films", "licence": "all media", "consent": "signed 2026-11-02"}


class TinyMaster(Agent):
    """Encodes a real 6-frame 64×64 H.264 MP4 whose grey level is the source's first byte."""

    name = "master"
    version = "3"
    cost = Cost("node", 0.01, overhead_cpu_s=0.0)

    def run(self, ctx: NodeContext) -> Output:
        level = ctx.inputs[0].path.read_bytes()[0]
        name = f"{ctx.node_id.split('/')[0]}.mp4"
        with av.open(str(ctx.out_dir / name), "w") as out:
            stream = out.add_stream("libx264", rate=Fraction(24))
            stream.width = stream.height = 64
            stream.pix_fmt = "yuv420p"
            for _ in range(6):
                frame = np.full((64, 64, 3), level, np.uint8)
                out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
            out.mux(stream.encode())
        return Output({"kind": "video", "file": name})


def render(project: Project, picture: bytes = b"\x40") -> int:
    """Run one shot's master from a source file holding ``picture``; approve it."""
    path = project.root / "s1.src"
    path.write_bytes(picture)
    digest = hashlib.sha256(picture).hexdigest()
    project.store.execute("DELETE FROM sources")
    project.store.execute("DELETE FROM shots")
    project.store.execute(
        "INSERT INTO sources VALUES ('c1', ?, ?, '{}', ?, '2026-01-01')",
        (str(path), digest, json.dumps({"cleared": True, **RIGHTS})),
    )
    project.store.execute("INSERT INTO shots VALUES ('s1', 'sc', 'c1', 0, 0)")
    plan = Plan("p", "web-sdr", (Node("s1/master", "master", {}, ("source:c1",), "master", "s1"),))
    summary = Runner(
        project,
        plan,
        InlineExecutor(),
        registry=Registry(extra={"master": TinyMaster}),
        sources={"c1": SourceRef("c1", path, digest, {"kind": "value"})},
    ).run()
    assert summary.status == "completed"
    key = master_key(project, summary.run_id)
    project.store.execute(
        "INSERT INTO reviews (shot, key, decision, note, by, at) VALUES "
        "('s1', ?, 'approve', 'grade ok', 'dana', '2026-12-04T10:00:00Z')",
        (key,),
    )
    return summary.run_id


def master_key(project: Project, run_id: int) -> str:
    row = project.store.one("SELECT key FROM nodes WHERE run_id = ? AND shot = 's1'", (run_id,))
    assert row is not None
    return str(row["key"])


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = init_project(tmp_path / "proj")
    render(project)
    return project


def mhl_verify(folder: Path) -> tuple[int, str]:
    """``ascmhl-debug verify FOLDER``: the library's own command (hashes every file, compares
    with the history, writes nothing)."""
    result = CliRunner().invoke(ascmhl_verify, [str(folder)])
    return result.exit_code, result.output


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey]
) -> x509.Certificate:
    """A certificate for ``key``; a CA when it issues itself, else a C2PA signer (ES256,
    digitalSignature, emailProtection, not a CA)."""
    now = datetime.datetime.now(datetime.UTC)
    is_ca = issuer[1] is key
    usage = dict.fromkeys(
        (
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(subject))
        .issuer_name(name(issuer[0]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=is_ca, crl_sign=is_ca, **usage),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if not is_ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key()), False
        )
    return builder.sign(issuer[1], hashes.SHA256())


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A test CA, a signer it issued: (signer.key, chain.pem signer+CA, other.key)."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key, signer_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = certificate("Test CA", ca_key, ("Test CA", ca_key))
    signer = certificate("Test Delivery Signer", signer_key, ("Test CA", ca_key))
    pem = serialization.Encoding.PEM
    (folder / "chain.pem").write_bytes(signer.public_bytes(pem) + ca.public_bytes(pem))
    for file, key in (("signer.key", signer_key), ("other.key", ca_key)):
        (folder / file).write_bytes(
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
    return folder / "signer.key", folder / "chain.pem", folder / "other.key"


def test_delivery_carries_an_asc_mhl_history_that_catches_a_tampered_master(
    project: Project,
) -> None:
    assert main(["deliver", "-p", str(project.root)]) == 0
    folder = project.deliverables
    assert sorted(p.name for p in (folder / "ascmhl").iterdir())[-1] == "ascmhl_chain.xml"
    code, output = mhl_verify(folder)
    assert code == 0, output
    master = folder / "s1.mp4"
    data = bytearray(master.read_bytes())
    data[-100] ^= 0xFF
    master.write_bytes(bytes(data))
    code, output = mhl_verify(folder)
    assert code != 0 and "s1.mp4" in output


def test_redelivery_adds_a_generation_and_a_replaced_master_starts_a_new_history(
    project: Project,
) -> None:
    assert main(["deliver", "-p", str(project.root)]) == 0
    assert main(["deliver", "-p", str(project.root)]) == 0  # the same files again
    folder = project.deliverables
    assert len(list((folder / "ascmhl").glob("*.mhl"))) == 2
    assert not (folder / SUPERSEDED).exists()
    assert mhl_verify(folder)[0] == 0
    render(project, b"\xa0")  # a re-render: a different s1.mp4 under the same name
    assert main(["deliver", "-p", str(project.root)]) == 0
    code, output = mhl_verify(folder)
    assert code == 0, output
    assert len(list((folder / "ascmhl").glob("*.mhl"))) == 1
    (kept,) = (folder / SUPERSEDED).iterdir()  # the earlier package's history, unchanged
    assert len(list(kept.glob("*.mhl"))) == 2


def test_a_file_damaged_outside_the_delivery_is_reported_not_sealed_into_a_new_history(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["deliver", "-p", str(project.root)]) == 0
    notes = project.deliverables / "notes.txt"  # put there by hand, recorded as original
    notes.write_text("handover notes")
    assert main(["deliver", "-p", str(project.root)]) == 0
    notes.write_text("handover notes, edited")
    capsys.readouterr()
    assert main(["deliver", "-p", str(project.root)]) == 2
    err = capsys.readouterr().err
    assert "notes.txt" in err and "hint:" in err
    assert not (project.deliverables / SUPERSEDED).exists()  # the history still says so
    code, output = mhl_verify(project.deliverables)
    assert code != 0 and "notes.txt" in output


def test_without_sign_masters_are_the_artifacts_bytes_and_carry_no_c2pa(
    project: Project,
) -> None:
    assert main(["deliver", "-p", str(project.root)]) == 0
    key = master_key(project, 1)
    artifact = project.artifacts / key[:2] / key / "s1.mp4"
    delivered = project.deliverables / "s1.mp4"
    assert delivered.read_bytes() == artifact.read_bytes()
    with delivered.open("rb") as handle, pytest.raises(c2pa.C2paError):
        c2pa.Reader("video/mp4", handle)


def test_sign_embeds_the_recipe_and_approval_as_validated_c2pa_assertions(
    project: Project, chain: tuple[Path, Path, Path]
) -> None:
    key_file, cert_file, _ = chain
    assert main(["deliver", "-p", str(project.root), "--sign", str(key_file), str(cert_file)]) == 0
    key = master_key(project, 1)
    unsigned = hashlib.sha256((project.artifacts / key[:2] / key / "s1.mp4").read_bytes())
    delivered = project.deliverables / "s1.mp4"
    with delivered.open("rb") as handle:
        store = json.loads(c2pa.Reader("video/mp4", handle).json())
    problems = [s["code"] for s in store.get("validation_status", [])]
    assert problems == ["signingCredential.untrusted"]  # only: the test CA is not trusted
    active = store["manifests"][store["active_manifest"]]
    assert active["signature_info"]["common_name"] == "Test Delivery Signer"
    assertions = {a["label"]: a["data"] for a in active["assertions"]}
    recipe = assertions[RECIPE_LABEL]
    assert recipe["sources"] == [{"id": "c1", "rights": {"cleared": True, **RIGHTS}}]
    assert [(s["agent"], s["version"], s["key"]) for s in recipe["steps"]] == [("master", "3", key)]
    (approval,) = assertions[APPROVALS_LABEL]["approvals"]
    assert approval["by"] == "dana" and approval["at"] == "2026-12-04T10:00:00Z"
    assert approval["master_sha256"] == unsigned.hexdigest()
    # The checksums and the MHL describe the signed file.
    assert verify_deliverables(project.deliverables) == []
    assert mhl_verify(project.deliverables)[0] == 0
    audit = project.store.query("SELECT * FROM audit ORDER BY seq")
    signed = [json.loads(a["data_json"]) for a in audit if a["action"] == "c2pa_sign"]
    assert [s["file"] for s in signed] == ["s1.mp4"]
    assert signed[0]["unsigned_sha256"] == unsigned.hexdigest()
    # Under the user who delivered: the delivery and its signing.
    assert [
        (a["subject"], a["actor"]) for a in audit if a["action"] in ("deliver", "c2pa_sign")
    ] == [("s1", f"{getpass.getuser()}@reelgraph")] * 2


@pytest.mark.parametrize(
    "case", ["missing key", "mismatched key", "not a certificate", "a CA as signer"]
)
def test_bad_signing_credentials_refuse_with_a_hint_and_deliver_nothing(
    project: Project,
    chain: tuple[Path, Path, Path],
    case: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key_file, cert_file, other_key = chain
    if case == "missing key":
        key_file = key_file.with_name("absent.key")
    elif case == "mismatched key":
        key_file = other_key
    elif case == "a CA as signer":  # the CA's own key and certificate: C2PA refuses them
        key_file = other_key
        ca = x509.load_pem_x509_certificates(cert_file.read_bytes())[1]
        cert_file = cert_file.with_name("ca.pem")
        cert_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    else:
        cert_file = key_file
    code = main(["deliver", "-p", str(project.root), "--sign", str(key_file), str(cert_file)])
    err = capsys.readouterr().err
    assert code == 2 and "error:" in err and "hint:" in err and "Traceback" not in err
    assert not project.deliverables.exists() or not any(project.deliverables.iterdir())


def test_sign_without_the_extra_names_the_install_command(
    project: Project,
    chain: tuple[Path, Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "c2pa", None)  # import c2pa raises ImportError
    key_file, cert_file, _ = chain
    code = main(["deliver", "-p", str(project.root), "--sign", str(key_file), str(cert_file)])
    err = capsys.readouterr().err
    assert code == 2 and "pip install 'reelgraph[sign]'" in err
