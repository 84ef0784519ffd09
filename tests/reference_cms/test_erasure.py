"""Art 16(3) erasure at the retention review is complete: the names of an erased case are gone from every
export and from the CMS's database file, free pages included.

The module runs on a network of its own: the review comes six months after the exchange concludes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from refcms_support import Cms, Network, call, request_body, running_network, start_process

pytestmark = pytest.mark.slow

NAME = "Zelda Quornby"  # named only in this exchange: in the entity, the free-text reasons and the audit data
TRACES = (NAME, "Quornby")


@pytest.fixture(scope="module")
def network(workdir: Path) -> Iterator[Network]:
    with running_network(workdir, "erasure") as own:
        yield own


def _erased_exchange(network: Network, workdir: Path, *defects: str) -> tuple[Cms, Path, str]:
    data = workdir / f"cms-erasure-{'-'.join(defects) or 'plain'}-{time.monotonic_ns()}"
    args = ["cms", "--state", "SE", "--channels", network.url, "--credentials", str(network.credentials_path),
            "--port", "0", "--data", str(data), "--follow-network-clock"]
    for defect in defects:
        args += ["--defect", defect]
    cms = Cms(start_process(args), network, "SE")
    cms.fixtures({"subject": NAME, "item": "convicted 2019", "data_categories": ["CRIMINAL_CONDUCT"]})
    body = request_body(network.reference(), sender="SPOC-DE", to="SPOC-SE", subject=NAME)
    request = body["directive"]["request"]
    request["purpose"] = f"Investigation of drug trafficking by {NAME}; facts described"
    request["availability_reasons"] = f"{NAME} lives in Sweden"
    request["necessity_proportionality"] = f"needed to locate {NAME.upper()}"
    sent = network.send("SPOC-DE", body)
    case_id = cms.case_of(sent["message_id"])["case_id"]
    cms.run_until(lambda: cms.case(case_id)["status"] == "CONCLUDED", timedelta(days=3), "the request answered")
    # What the national databases hold is not the CMS's case data: replaced before the review, so that
    # only the case is left to carry the name into the database file (its freed pages included).
    cms.fixtures({"subject": "Somebody Else", "item": "nothing"})
    due = cms.case(case_id)["retention_review_due"]
    cms.run_until(lambda: any(e["operation"] == "ERASURE" for e in cms.get("/audit-log", case_id=case_id)["entries"]),
                  timedelta(days=190), f"the retention review due {due}")
    return cms, data, case_id


def _exports(cms: Cms) -> dict[str, str]:
    exports = {}
    for path in ("/cases", "/messages", "/audit-log", "/statistics"):
        exports[path] = str(call("GET", f"{cms.url}/sut/v1{path}")[1])
    return exports


def _database_bytes(data: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(data.iterdir()) if path.is_file()}


def test_the_names_of_an_erased_case_are_gone_from_every_export_and_the_database(network: Network,
                                                                                 workdir: Path) -> None:
    cms, data, case_id = _erased_exchange(network, workdir)
    try:
        left = {path: [t for t in TRACES if t.casefold() in text.casefold()] for path, text in _exports(cms).items()}
        assert all(not found for found in left.values()), left
        files = _database_bytes(data)
        assert any(name.endswith(".sqlite3") for name in files)
        in_files = {name: [t for t in TRACES if t.encode() in content or t.upper().encode() in content]
                    for name, content in files.items()}
        assert all(not found for found in in_files.values()), in_files
        assert cms.case(case_id)["events"][-1]["kind"] == "RETENTION_REVIEW"
    finally:
        cms.process.stop()


def test_the_named_defect_keeps_the_old_incomplete_erasure(network: Network, workdir: Path) -> None:
    cms, data, _ = _erased_exchange(network, workdir, "erasure-leaves-traces")
    try:
        exports = _exports(cms)
        assert NAME.casefold() not in exports["/cases"].casefold()  # the case record itself is erased...
        assert NAME.casefold() in exports["/audit-log"].casefold()  # ...its audit data is not
        assert any(NAME.encode() in content for content in _database_bytes(data).values())
    finally:
        cms.process.stop()
