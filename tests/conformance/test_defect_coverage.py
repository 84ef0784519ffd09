"""Every check must be shown failing against a named defect of the reference CMS.

The kill matrix (test_kill_matrix.py) proves that each defect fails the requirements it names; this
test closes the loop from the other side: every requirement the campaign checks is named by at least
one defect, so no check is left that was never seen to fail.
"""

from __future__ import annotations

from conformance.catalogue import load_catalogue
from simulators.reference_cms.defects import DEFECTS


def test_every_checked_requirement_is_named_by_a_defect() -> None:
    named = {rid for defect in DEFECTS.values() for rid in defect.requirements}
    checked = {requirement.id for requirement in load_catalogue().testable()}
    never_failed = sorted(checked - named)
    assert not never_failed, f"checked requirements no named defect fails: {never_failed}"


def test_defects_name_only_catalogue_requirements() -> None:
    catalogue_ids = {requirement.id for requirement in load_catalogue().all()}
    unknown = {name: sorted(set(d.requirements) - catalogue_ids) for name, d in DEFECTS.items()}
    assert not {name: ids for name, ids in unknown.items() if ids}
