"""Explicit signing keys: a bundle's signature says who signed only against a key pinned beforehand."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from click.testing import CliRunner

from conformance.cli import cli
from reports.results import RunResults, write_results


def _new_key(tmp_path: Path, name: str = "lab.key", signer: str = "Acme CMS test lab") -> tuple[Path, str]:
    key_file = tmp_path / name
    result = CliRunner().invoke(cli, ["keys", "new", str(key_file), "--signer", signer])
    assert result.exit_code == 0, result.output
    fingerprint = next(line.split()[-1] for line in result.output.splitlines() if line.startswith("fingerprint:"))
    return key_file, fingerprint


def _bundle(tmp_path: Path, results: RunResults, key_file: Path | None, name: str = "evidence") -> Path:
    from reports.evidence import write_bundle
    from reports.signing import load_signing_key

    results_path = write_results(results, tmp_path / f"{name}-results.json")
    target = tmp_path / name
    key = load_signing_key(key_file) if key_file is not None else None
    write_bundle(target, results_path=results_path, journal_export=[{"seq": 1}], signing_key=key)
    return target


def test_keys_new_writes_a_private_key_and_prints_its_fingerprint(tmp_path: Path) -> None:
    key_file, fingerprint = _new_key(tmp_path)

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(fingerprint) == 64
    assert "PRIVATE KEY" in key_file.read_text()
    assert "PUBLIC KEY" in (tmp_path / "lab.key.pub").read_text()
    again = CliRunner().invoke(cli, ["keys", "new", str(key_file), "--signer", "x"])
    assert again.exit_code == 2  # a key is never overwritten
    assert "never overwritten" in again.output
    shown = CliRunner().invoke(cli, ["keys", "show", str(key_file)])
    assert fingerprint in shown.output
    assert "Acme CMS test lab" in shown.output


def test_a_key_file_others_can_read_is_refused(tmp_path: Path, sample_results: RunResults) -> None:
    key_file, _ = _new_key(tmp_path)
    key_file.chmod(0o644)
    shown = CliRunner().invoke(cli, ["keys", "show", str(key_file)])
    assert shown.exit_code == 2
    assert "chmod 600" in shown.output


def test_verify_reports_integrity_and_trust_apart(tmp_path: Path, sample_results: RunResults) -> None:
    key_file, fingerprint = _new_key(tmp_path)
    bundle = _bundle(tmp_path, sample_results, key_file)

    plain = CliRunner().invoke(cli, ["evidence", "verify", str(bundle)])
    assert plain.exit_code == 0, plain.output
    assert "INTEGRITY OK" in plain.output
    assert "TRUST UNVERIFIED" in plain.output
    assert "Acme CMS test lab" in plain.output

    certifying = CliRunner().invoke(cli, ["evidence", "verify", str(bundle), "--require-trust"])
    assert certifying.exit_code == 3
    assert "TRUST UNVERIFIED" in certifying.output

    pinned = CliRunner().invoke(
        cli, ["evidence", "verify", str(bundle), "--require-trust", "--trust", str(tmp_path / "lab.key.pub")]
    )
    assert pinned.exit_code == 0, pinned.output
    assert "TRUST TRUSTED" in pinned.output
    by_fingerprint = CliRunner().invoke(
        cli, ["evidence", "verify", str(bundle), "--require-trust", "--trust-fingerprint", fingerprint]
    )
    assert by_fingerprint.exit_code == 0, by_fingerprint.output


def test_a_bundle_re_signed_by_someone_else_is_not_trusted(tmp_path: Path, sample_results: RunResults) -> None:
    from reports.evidence import signed_by_trusted_key

    _, lab_fingerprint = _new_key(tmp_path)
    forged_results = sample_results.model_copy(update={"verdict_reason": "forged"})
    forger_key, _ = _new_key(tmp_path, "forger.key", signer="Acme CMS test lab")  # same name, other key
    forged = _bundle(tmp_path, forged_results, forger_key, "forged")

    result = CliRunner().invoke(cli, ["evidence", "verify", str(forged), "--trust-fingerprint", lab_fingerprint])
    assert result.exit_code == 3
    assert "INTEGRITY OK" in result.output
    assert "TRUST UNTRUSTED" in result.output
    assert not signed_by_trusted_key(forged, [lab_fingerprint])
    ephemeral = _bundle(tmp_path, sample_results, None, "ephemeral")
    assert not signed_by_trusted_key(ephemeral, [lab_fingerprint])


def test_an_ephemeral_key_is_labelled_as_such(tmp_path: Path, sample_results: RunResults) -> None:
    bundle = _bundle(tmp_path, sample_results, None)

    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["signature"]["key_kind"] == "ephemeral"
    assert "EPHEMERAL" in (bundle / "VERIFY.txt").read_text()
    assert "EPHEMERAL" in CliRunner().invoke(cli, ["evidence", "show", str(bundle)]).output
    verified = CliRunner().invoke(cli, ["evidence", "verify", str(bundle), "--require-trust"])
    assert verified.exit_code == 3
    assert "EPHEMERAL" in verified.output


def test_the_kill_matrix_signs_every_run_with_the_lab_key(tmp_path: Path) -> None:
    from conformance.campaign.killmatrix import defect_command
    from conformance.campaign.run_options import RunOptions

    key_file, _ = _new_key(tmp_path)
    command = defect_command(RunOptions(signing_key=key_file), "late-urgent-reply", ["R-10"], tmp_path / "out")
    assert command[command.index("--signing-key") + 1] == str(key_file)
    assert "--signing-key" not in defect_command(RunOptions(), None, ["R-10"], tmp_path / "out")
