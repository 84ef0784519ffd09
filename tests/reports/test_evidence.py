from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reports.evidence import (
    MANIFEST_NAME,
    PUBLIC_KEY_NAME,
    BundleManifest,
    NotABundleError,
    chain_link,
    describe_bundle,
    genesis_link,
    load_manifest,
    verify_bundle,
    write_bundle,
)
from reports.results import RunResults, write_results

CREATED = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
JOURNAL = [
    {
        "seq": 1,
        "channel": "SIENA",
        "message_id": "SIENA-1",
        "kind": "REQUEST",
        "at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    },
    {"seq": 2, "channel": "SIENA", "message_id": "SIENA-2", "kind": "REPLY", "body": "Grüße"},
]


@pytest.fixture
def bundle(sample_results: RunResults, tmp_path: Path) -> tuple[Path, BundleManifest]:
    results_path = write_results(sample_results, tmp_path / "out" / "results.json")
    (tmp_path / "out" / "junit.xml").write_text("<testsuites/>")
    log = tmp_path / "cms.log"
    log.write_text("started\n")
    bundle_dir = tmp_path / "bundle"
    manifest = write_bundle(
        bundle_dir,
        results_path=results_path,
        journal_export=JOURNAL,
        extra_files={"junit.xml": tmp_path / "out" / "junit.xml", "logs/cms.log": log},
        created_at=CREATED,
    )
    return bundle_dir, manifest


def _problems(bundle_dir: Path) -> list[str]:
    report = verify_bundle(bundle_dir)
    assert report.ok is (not report.problems)
    return [str(problem) for problem in report.problems]


def test_fresh_bundle_verifies(bundle: tuple[Path, BundleManifest]) -> None:
    bundle_dir, manifest = bundle
    report = verify_bundle(bundle_dir, trusted_fingerprints=[manifest.public_key_sha256])

    assert report.ok, report.render()
    assert report.trust == "trusted"
    assert report.files_checked == 5
    assert report.head == manifest.head
    assert [entry.name for entry in manifest.files] == FILES
    assert report.render().startswith("INTEGRITY OK: ")
    assert load_manifest(bundle_dir) == manifest


def test_manifest_follows_the_documented_formulas(bundle: tuple[Path, BundleManifest]) -> None:
    bundle_dir, manifest = bundle
    key = serialization.load_pem_public_key((bundle_dir / PUBLIC_KEY_NAME).read_bytes())
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert hashlib.sha256(raw).hexdigest() == manifest.public_key_sha256
    assert (
        manifest.genesis
        == hashlib.sha256(
            f"spoc-evidence-bundle/1\n{CREATED.isoformat()}\n{manifest.public_key_sha256}\n".encode()
        ).hexdigest()
    )
    previous = manifest.genesis
    for entry in manifest.files:
        assert entry.sha256 == hashlib.sha256((bundle_dir / entry.name).read_bytes()).hexdigest()
        assert entry.link == hashlib.sha256(f"{previous}\n{entry.name}\n{entry.sha256}".encode()).hexdigest()
        previous = entry.link
    assert manifest.head == previous
    # the genesis is computed from created_at exactly as the manifest file spells it
    assert f'"created_at": "{CREATED.isoformat()}"' in (bundle_dir / MANIFEST_NAME).read_text()
    assert genesis_link("f", None, "k") == hashlib.sha256(b"f\n\nk\n").hexdigest()
    assert chain_link("a", "b", "c") == hashlib.sha256(b"a\nb\nc").hexdigest()


def test_journal_is_written_as_json_lines(bundle: tuple[Path, BundleManifest]) -> None:
    bundle_dir, _ = bundle
    lines = (bundle_dir / "journal.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "seq": 1,
            "channel": "SIENA",
            "message_id": "SIENA-1",
            "kind": "REQUEST",
            "at": "2026-03-02T09:00:00+00:00",
        },
        {"seq": 2, "channel": "SIENA", "message_id": "SIENA-2", "kind": "REPLY", "body": "Grüße"},
    ]


FILES = ["results.json", "journal.jsonl", "VERIFY.txt", "junit.xml", "logs/cms.log"]


@pytest.mark.parametrize("name", FILES)
def test_one_changed_byte_is_detected_and_named(bundle: tuple[Path, BundleManifest], name: str) -> None:
    bundle_dir, _ = bundle
    path = bundle_dir / name
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0x01
    path.write_bytes(bytes(content))

    problems = _problems(bundle_dir)
    assert len(problems) == 1
    assert problems[0].startswith(f"{name}: content changed: sha256 ")


@pytest.mark.parametrize("name", FILES)
def test_a_deleted_file_is_detected_and_named(bundle: tuple[Path, BundleManifest], name: str) -> None:
    bundle_dir, _ = bundle
    (bundle_dir / name).unlink()
    assert _problems(bundle_dir) == [f"{name}: is listed in the manifest but missing"]


@pytest.mark.parametrize("name", ["extra.txt", "logs/other.log", "results.json.bak"])
def test_an_added_file_is_detected_and_named(bundle: tuple[Path, BundleManifest], name: str) -> None:
    bundle_dir, _ = bundle
    (bundle_dir / name).write_text("planted")
    assert _problems(bundle_dir) == [f"{name}: is not listed in the manifest (added after signing)"]


def _edit_manifest(bundle_dir: Path, edit: str) -> None:
    path = bundle_dir / MANIFEST_NAME
    data = json.loads(path.read_text())
    if edit == "file hash":
        data["files"][0]["sha256"] = "0" * 64
    elif edit == "created_at":
        data["created_at"] = "2026-03-11T12:00:00Z"
    elif edit == "head":
        data["head"] = "f" * 64
    elif edit == "signature":
        signature = bytearray(base64.b64decode(data["signature"]["value"]))
        signature[0] ^= 0x01
        data["signature"]["value"] = base64.b64encode(bytes(signature)).decode()
    elif edit == "drop entry":
        data["files"].pop()
    elif edit == "reorder":
        data["files"][0], data["files"][1] = data["files"][1], data["files"][0]
    path.write_text(json.dumps(data, indent=2))


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            "file hash",
            ["results.json: its manifest entry was edited after signing", "results.json: content changed"],
        ),
        ("created_at", ["manifest.json: the header (format, created_at or key fingerprint) was changed"]),
        (
            "head",
            [
                "manifest.json: head is not the last link",
                "manifest.json: the signature over the head does not verify",
            ],
        ),
        ("signature", ["manifest.json: the signature over the head does not verify with public_key.pem"]),
        (
            "drop entry",
            [
                "manifest.json: head is not the last link",
                "logs/cms.log: is not listed in the manifest (added after signing)",
            ],
        ),
        # a swap breaks the links of both entries and of the one that follows them
        (
            "reorder",
            [
                "journal.jsonl: its manifest entry was edited",
                "results.json: its manifest entry was edited",
                "VERIFY.txt: its manifest entry was edited",
            ],
        ),
    ],
)
def test_an_edited_manifest_is_detected(bundle: tuple[Path, BundleManifest], edit: str, expected: list[str]) -> None:
    bundle_dir, _ = bundle
    _edit_manifest(bundle_dir, edit)
    problems = _problems(bundle_dir)
    for prefix in expected:
        assert any(problem.startswith(prefix) for problem in problems), (prefix, problems)
    assert len(problems) == len(expected), problems


def test_a_swapped_key_is_detected(bundle: tuple[Path, BundleManifest]) -> None:
    bundle_dir, _ = bundle
    other = Ed25519PrivateKey.generate().public_key()
    (bundle_dir / PUBLIC_KEY_NAME).write_bytes(
        other.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    problems = _problems(bundle_dir)
    assert problems[0].startswith("public_key.pem: key sha256 ")
    assert "is not the key the manifest was signed with" in problems[0]
    assert problems[1] == "manifest.json: the signature over the head does not verify with public_key.pem"
    assert len(problems) == 2


def test_a_bundle_rewritten_with_a_new_key_fails_against_the_recorded_fingerprint(
    bundle: tuple[Path, BundleManifest], sample_results: RunResults, tmp_path: Path
) -> None:
    _, original = bundle
    forged_results = tmp_path / "forged.json"
    write_results(sample_results.model_copy(update={"verdict_reason": "all fine"}), forged_results)
    forged_dir = tmp_path / "forged"
    write_bundle(forged_dir, results_path=forged_results, journal_export=JOURNAL, created_at=CREATED)

    assert verify_bundle(forged_dir).ok  # self-consistent...
    report = verify_bundle(forged_dir, trusted_fingerprints=[original.public_key_sha256])
    assert report.intact
    assert not report.ok
    assert report.trust == "untrusted"
    assert "re-signed with another key" in report.trust_detail


def test_a_garbled_key_or_manifest_is_reported(bundle: tuple[Path, BundleManifest]) -> None:
    bundle_dir, _ = bundle
    (bundle_dir / PUBLIC_KEY_NAME).write_text("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
    assert _problems(bundle_dir)[0].startswith("public_key.pem: not a usable public key")
    (bundle_dir / MANIFEST_NAME).write_text("{not json")
    assert any(p.startswith("manifest.json: unreadable manifest") for p in _problems(bundle_dir))


def test_a_deleted_manifest_is_reported(bundle: tuple[Path, BundleManifest]) -> None:
    bundle_dir, _ = bundle
    (bundle_dir / MANIFEST_NAME).unlink()
    problems = _problems(bundle_dir)
    assert problems[0] == "manifest.json: the manifest is missing"
    assert "results.json: is not listed in the manifest (added after signing)" in problems


def test_an_entry_pointing_outside_the_bundle_is_refused(bundle: tuple[Path, BundleManifest]) -> None:
    bundle_dir, _ = bundle
    path = bundle_dir / MANIFEST_NAME
    data = json.loads(path.read_text())
    data["files"][0]["name"] = "../results.json"
    path.write_text(json.dumps(data))
    problems = _problems(bundle_dir)
    assert "../results.json: manifest entry name must not contain '.', '..' or empty parts" in problems


def test_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(NotABundleError):
        verify_bundle(tmp_path / "missing")
    with pytest.raises(NotABundleError, match=r"no manifest\.json"):
        verify_bundle(tmp_path)


def test_write_bundle_refuses_unsafe_input(sample_results: RunResults, tmp_path: Path) -> None:
    results_path = write_results(sample_results, tmp_path / "results.json")
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "old.txt").write_text("x")
    with pytest.raises(FileExistsError):
        write_bundle(occupied, results_path=results_path, journal_export=[])
    for bad in ("../escape.txt", "/abs.txt", "manifest.json", "results.json", "a/./b"):
        with pytest.raises(ValueError, match=r"extra file name"):
            write_bundle(tmp_path / "b", results_path=results_path, journal_export=[], extra_files={bad: results_path})
    with pytest.raises(FileNotFoundError):
        write_bundle(tmp_path / "c", results_path=tmp_path / "nope.json", journal_export=[])
    with pytest.raises(ValueError, match="no UTC offset"):
        write_bundle(tmp_path / "d", results_path=results_path, journal_export=[], created_at=datetime(2026, 1, 1))


def test_exported_journal_file_and_list_of_extras(sample_results: RunResults, tmp_path: Path) -> None:
    results_path = write_results(sample_results, tmp_path / "results.json")
    journal = tmp_path / "export.json"
    journal.write_text('[{"seq": 1}]')
    report_html = tmp_path / "report.html"
    report_html.write_text("<html></html>")
    manifest = write_bundle(
        tmp_path / "b", results_path=results_path, journal_export=journal, extra_files=[report_html]
    )
    assert [entry.name for entry in manifest.files] == [
        "results.json",
        "journal.json",
        "VERIFY.txt",
        "report.html",
    ]
    assert manifest.created_at is None
    assert verify_bundle(tmp_path / "b").ok


def test_describe_bundle(bundle: tuple[Path, BundleManifest]) -> None:
    bundle_dir, manifest = bundle
    text = describe_bundle(bundle_dir)
    assert manifest.public_key_sha256 in text
    assert manifest.head in text
    assert "logs/cms.log" in text
    assert "verdict:     not conformant - not conformant: R-10 failed" in text


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_signature_verifies_by_hand_with_openssl(bundle: tuple[Path, BundleManifest], tmp_path: Path) -> None:
    bundle_dir, manifest = bundle
    head = tmp_path / "head.txt"
    head.write_bytes(manifest.head.encode("ascii"))
    signature = tmp_path / "sig.bin"
    signature.write_bytes(base64.b64decode(manifest.signature.value))
    command = [
        "openssl",
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        str(bundle_dir / PUBLIC_KEY_NAME),
        "-rawin",
        "-in",
        str(head),
        "-sigfile",
        str(signature),
    ]
    ok = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert ok.returncode == 0, ok.stderr
    head.write_bytes(manifest.head.upper().encode("ascii"))
    assert subprocess.run(command, capture_output=True, timeout=30, check=False).returncode != 0
