"""`spoc-harness run --signing-key`, end to end: the signer everywhere, report.html in the bundle, private files."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _spoc_harness() -> Path:
    command = Path(sys.executable).with_name("spoc-harness")
    if not command.exists():
        pytest.skip("spoc-harness is not installed in this interpreter's environment")
    return command


@pytest.fixture(scope="module")
def signed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    base = tmp_path_factory.mktemp("signed-run")
    key_file = base / "keys" / "lab.key"
    made = CliRunner().invoke(cli, ["keys", "new", str(key_file), "--signer", "Acme CMS test lab"])
    assert made.exit_code == 0, made.output
    fingerprint = made.output.split("fingerprint:")[1].split()[0]
    report_dir = base / "out"
    finished = subprocess.run(
        [str(_spoc_harness()), "run", "--profile", "R-10", "--report-dir", str(report_dir), "-q",
         "--signing-key", str(key_file)],
        capture_output=True, text=True, timeout=240, check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "Signed by:       Acme CMS test lab" in finished.stdout
    return report_dir, fingerprint


def test_the_signer_is_named_in_results_junit_and_the_report(signed_run: tuple[Path, str]) -> None:
    report_dir, fingerprint = signed_run
    signer = json.loads((report_dir / "results.json").read_text())["signer"]
    assert signer == {"name": "Acme CMS test lab", "public_key_sha256": fingerprint, "ephemeral": False}
    junit = (report_dir / "junit.xml").read_text()
    assert 'name="signer.public_key_sha256" value="' + fingerprint in junit
    assert 'name="signer.ephemeral" value="false"' in junit
    html = (report_dir / "report.html").read_text()
    assert "Acme CMS test lab" in html
    assert fingerprint in html


def test_the_bundle_holds_the_report_and_verifies_against_the_pinned_key(signed_run: tuple[Path, str]) -> None:
    report_dir, fingerprint = signed_run
    bundle = report_dir / "evidence"
    assert (bundle / "report.html").read_bytes() == (report_dir / "report.html").read_bytes()
    verified = CliRunner().invoke(
        cli, ["evidence", "verify", str(bundle), "--require-trust", "--trust", str(report_dir.parent / "keys" /
                                                                                   "lab.key.pub")]
    )
    assert verified.exit_code == 0, verified.output
    assert f"TRUST TRUSTED: signed by Acme CMS test lab with a trusted key ({fingerprint})" in verified.output



def test_files_with_personal_data_are_private(signed_run: tuple[Path, str]) -> None:
    report_dir, _ = signed_run
    wide: list[str] = []
    for path in [report_dir, *report_dir.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_symlink():
            continue
        if mode & 0o077:
            wide.append(f"{path.relative_to(report_dir.parent)} {oct(mode)}")
    assert wide == []
