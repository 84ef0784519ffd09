"""The certification record on real signed runs: the pseudonymised copy and the certificate (and its refusals)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from reports.evidence import load_manifest, verify_bundle
from reports.pseudonymise import PseudonymKey, find_personal_data, pseudonymise_bundle
from reports.results import load_results
from reports.signing import load_trusted_fingerprint, new_key_file
from tests.reports.conftest import run_harness

pytestmark = pytest.mark.slow


def _fixture_subjects(bundle: Path) -> dict[str, set[str]]:
    """What the harness set up as personal data: the fixtures' subjects and what their records say."""
    ledger = json.loads((bundle / "ledger.json").read_text(encoding="utf-8"))
    subjects: set[str] = set()
    details: set[str] = set()
    for action in ledger["actions"]:
        if action["what"] == "fixtures":
            for record in action["request"]["records"]:
                subjects.add(record["subject"])
                address = re.search(r"lives at (.+)$", record["item"])
                details |= {address.group(1)} if address else set()
                details |= set(re.findall(r"\b[A-Z]{2}-\d{3}-[A-Z]\b", record["item"]))
    return {"subjects": subjects, "details": details}


def _all_text(directory: Path) -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(directory.iterdir()) if path.is_file())


def test_the_pseudonymised_copy_holds_no_fixture_subject_keeps_ids_times_verdicts_and_verifies(
    late_run: Path, tmp_path: Path
) -> None:
    bundle = late_run / "evidence"
    key_file = tmp_path / "pseudonym.key"
    done = run_harness("evidence", "pseudonymise", str(bundle), "--out", str(tmp_path / "copy"),
                       "--key-file", str(key_file), "--new-key")
    assert done.returncode == 0, done.stderr
    copy = tmp_path / "copy"
    original = _fixture_subjects(bundle)
    assert len(original["subjects"]) > 10
    shared = _all_text(copy)
    for subject in original["subjects"]:
        assert subject not in shared, subject
        # The surname alone neither, as a word: a short one ("Lee") can sit inside a key's base64 text by chance.
        assert not re.search(rf"\b{re.escape(subject.split()[-1])}\b", shared), subject
    for detail in original["details"]:
        assert detail not in shared, detail

    assert verify_bundle(copy).intact
    derived = json.loads((copy / "DERIVED_FROM.json").read_text(encoding="utf-8"))
    assert derived["derived_from"]["head"] == load_manifest(bundle).head
    before, after = load_results(bundle / "results.json"), load_results(copy / "results.json")
    assert (after.verdict, after.started_at, after.virtual_time) == (before.verdict, before.started_at,
                                                                      before.virtual_time)
    assert [c.outcome for c in after.checks] == [c.outcome for c in before.checks]

    def journal(path: Path) -> list[tuple[str, str]]:
        lines = (path / "journal.jsonl").read_text(encoding="utf-8").splitlines()
        return [(m["message_id"], m["created_at"]) for m in map(json.loads, lines)]

    assert journal(copy) == journal(bundle)

    # Keyed and consistent: one subject, one pseudonym, in every file and in a second copy with the same key.
    key = PseudonymKey.from_file(key_file)
    subject = sorted(original["subjects"])[0]
    pseudonym = key.pseudonym("name", subject)
    for name in ("journal.jsonl", "ledger.json", "results.json"):
        assert pseudonym in (copy / name).read_text(encoding="utf-8"), name
    again = pseudonymise_bundle(bundle, tmp_path / "again", key)
    assert again.public_key_sha256 != load_manifest(copy).public_key_sha256  # signed anew, ephemeral key
    assert (tmp_path / "again" / "ledger.json").read_bytes() == (copy / "ledger.json").read_bytes()


def test_no_copy_is_made_of_a_bundle_that_does_not_verify(late_run: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered"
    shutil.copytree(late_run / "evidence", tampered)
    results = tampered / "results.json"
    results.write_text(results.read_text(encoding="utf-8").replace("not conformant", "conformant", 1), "utf-8")
    done = run_harness("evidence", "pseudonymise", str(tampered), "--out", str(tmp_path / "copy"),
                       "--key-file", str(tmp_path / "k"), "--new-key")
    assert done.returncode == 1
    assert "does not verify" in done.stderr
    assert "results.json" in done.stderr
    assert not (tmp_path / "copy").exists()


def test_find_personal_data_keeps_ids_and_message_subjects_out(late_run: Path) -> None:
    found = find_personal_data(late_run / "evidence")
    names = found.values["name"]
    assert not any(re.search(r"\d", name) for name in names)  # no case reference or id taken for a name
    assert "spoc-harness reference CMS" not in names


def test_a_conformant_run_signed_by_a_trusted_key_gets_its_certificate(
    conformant_run: Path, lab_key: Path, tmp_path: Path
) -> None:
    done = run_harness("certificate", str(conformant_run / "evidence"), "--trust", f"{lab_key}.pub",
                       "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "certificate.html").read_text(encoding="utf-8")
    manifest = load_manifest(conformant_run / "evidence")
    for shown in ("CONFORMANT", "spoc-harness reference CMS", "Member state</th><td>AT", "Test lab",
                  manifest.head, load_trusted_fingerprint(lab_key), "deadline reading: elapsed",
                  "Accepted deviations (0)", "Warnings (0)", "Partial run:</strong> only the requirements of "
                  "profile R-10"):
        assert shown in page, shown
    assert re.search(r"Harness version</th><td>\d", page)
    assert re.search(r"Catalogue version</th><td class=\"mono\">[0-9a-f]{64}", page)
    if shutil.which("chromium"):
        assert (tmp_path / "certificate.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("case", ["not conformant", "untrusted signer", "tampered"])
def test_the_certificate_is_refused_saying_why(
    case: str, late_run: Path, conformant_run: Path, lab_key: Path, tmp_path: Path
) -> None:
    bundle, trust = conformant_run / "evidence", f"{lab_key}.pub"
    if case == "not conformant":
        bundle = late_run / "evidence"
    elif case == "untrusted signer":
        other = tmp_path / "other.key"
        new_key_file(other, "Someone else")
        trust = f"{other}.pub"
    else:
        bundle = tmp_path / "tampered"
        shutil.copytree(conformant_run / "evidence", bundle)
        (bundle / "journal.jsonl").write_text("", encoding="utf-8")
    done = run_harness("certificate", str(bundle), "--trust", trust, "--out", str(tmp_path / "cert"))
    assert done.returncode == 1
    expected = {"not conformant": "the run is not conformant: not conformant: R-10",
                "untrusted signer": "not signed by a trusted key",
                "tampered": "the bundle does not verify: journal.jsonl"}[case]
    assert expected in done.stderr
    assert not (tmp_path / "cert" / "certificate.html").exists()
