from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import cli
from reports.evidence import BundleManifest, write_bundle
from reports.results import RunResults, write_results


@pytest.fixture
def bundle_dir(sample_results: RunResults, tmp_path: Path) -> tuple[Path, BundleManifest]:
    results_path = write_results(sample_results, tmp_path / "results.json")
    target = tmp_path / "evidence"
    manifest = write_bundle(target, results_path=results_path, journal_export=[{"seq": 1}])
    return target, manifest


def test_verify_intact_bundle_exits_0(bundle_dir: tuple[Path, BundleManifest]) -> None:
    path, manifest = bundle_dir
    result = CliRunner().invoke(cli, ["evidence", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"INTEGRITY OK: {path}: 3 files match the manifest")
    assert manifest.public_key_sha256 in result.output
    assert "TRUST UNVERIFIED" in result.output

    keyed = CliRunner().invoke(cli, ["evidence", "verify", str(path), "--key", manifest.public_key_sha256])
    assert keyed.exit_code == 0
    assert "TRUST TRUSTED" in keyed.output


def test_verify_tampered_bundle_exits_1_naming_the_file(bundle_dir: tuple[Path, BundleManifest]) -> None:
    path, _ = bundle_dir
    (path / "journal.jsonl").write_text('{"seq": 2}\n')
    result = CliRunner().invoke(cli, ["evidence", "verify", str(path)])
    assert result.exit_code == 1
    assert "TAMPERED" in result.output
    assert "journal.jsonl: content changed" in result.output


def test_verify_with_the_wrong_key_exits_3(bundle_dir: tuple[Path, BundleManifest]) -> None:
    path, _ = bundle_dir
    result = CliRunner().invoke(cli, ["evidence", "verify", str(path), "--key", "ab" * 32])
    assert result.exit_code == 3  # intact, but not signed by the trusted key
    assert "re-signed with another key" in result.output


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["evidence", "verify", str(tmp_path / "missing")]).exit_code == 2
    not_a_bundle = CliRunner().invoke(cli, ["evidence", "verify", str(tmp_path)])
    assert not_a_bundle.exit_code == 2
    assert "is not an evidence bundle" in not_a_bundle.output
    assert CliRunner().invoke(cli, ["evidence", "verify"]).exit_code == 2
    assert CliRunner().invoke(cli, ["evidence", "show", str(tmp_path)]).exit_code == 2


def test_show_lists_the_manifest(bundle_dir: tuple[Path, BundleManifest]) -> None:
    path, manifest = bundle_dir
    result = CliRunner().invoke(cli, ["evidence", "show", str(path)])
    assert result.exit_code == 0, result.output
    assert manifest.head in result.output
    assert "results.json" in result.output
    assert "verdict:     not conformant" in result.output


def test_installed_command_verifies_a_bundle(bundle_dir: tuple[Path, BundleManifest]) -> None:
    path, _ = bundle_dir
    command = Path(sys.executable).with_name("spoc-harness")
    if not command.exists():
        pytest.skip("spoc-harness is not installed in this interpreter's environment")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    ok = subprocess.run(
        [str(command), "evidence", "verify", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    (path / "planted.txt").write_text("x")
    bad = subprocess.run(
        [str(command), "evidence", "verify", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert bad.returncode == 1
    assert "planted.txt: is not listed in the manifest" in bad.stderr
