"""The requirement catalogue: the data file, its loader and `spoc-harness requirements`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.catalogue import (
    Basis,
    Catalogue,
    CatalogueError,
    CheckKind,
    article_tag,
    load_catalogue,
    parse_article,
    parse_catalogue,
)
from conformance.cli import cli
from simulators.model.directive import (
    DataSubjectCategory,
    InformationRequest,
    PersonalDataCategory,
    RefusalGround,
    UrgencyCriterion,
    request_content_violations,
)
from simulators.model.personal_data import load_personal_data_whitelist
from simulators.reference_cms.policy import permitted_categories

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / ".." / "shared" / "reference" / "directive-2023-977.md"
DATA_TEXT = resources.files("conformance").joinpath("data").joinpath("requirements.toml").read_text("utf-8")
CODE_TO_KIND = {"BB": CheckKind.CHANNELS, "RX": CheckKind.RECORDS, "DI": CheckKind.DECLARATION}
TAG_TO_BASIS = {"V": Basis.VERIFIED, "P": Basis.PARTLY_VERIFIED, "U": Basis.UNVERIFIED}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def reference_rows() -> dict[str, list[str]]:
    """The R-xx rows of the reference catalogue: id -> [ref, requirement, check, status]."""
    if not REFERENCE.is_file():
        pytest.skip(f"reference catalogue not found at {REFERENCE} (CI keeps ../shared beside the clone)")
    rows: dict[str, list[str]] = {}
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        if line.startswith("| R-"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            assert cells[0] not in rows, f"{cells[0]} twice in the reference"
            rows[cells[0]] = cells[1:]
    assert rows, "no '| R-' rows found in the reference catalogue"
    return rows


# --- the data file ---------------------------------------------------------------------------------


def test_packaged_catalogue_loads_and_is_cached(catalogue: Catalogue) -> None:
    assert load_catalogue() is catalogue
    ids = [r.id for r in catalogue.all()]
    assert ids[0] == "R-01"
    assert ids[-1] == "R-100"
    assert ids == sorted(ids, key=lambda i: int(i[2:])), "items keep the reference catalogue's order"


def test_ids_are_unique_and_well_formed(catalogue: Catalogue) -> None:
    ids = [r.id for r in catalogue.all()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"R-\d{2,3}", i) for i in ids)


def test_every_reference_id_is_in_the_data_and_nothing_else(
    catalogue: Catalogue, reference_rows: dict[str, list[str]]
) -> None:
    data_ids = {r.id for r in catalogue.all()}
    assert sorted(set(reference_rows) - data_ids) == [], "in the reference but missing from the data file"
    assert sorted(data_ids - set(reference_rows)) == [], "in the data file but not in the reference"


def test_articles_match_the_reference_in_the_normalised_grammar(
    catalogue: Catalogue, reference_rows: dict[str, list[str]]
) -> None:
    for rid, (ref, *_rest) in reference_rows.items():
        expected = ref.replace("–", "-").replace("(3)/(4)", "(3)-(4)")
        assert catalogue.get(rid).article == expected, rid


def test_basis_follows_the_reference_status_tag(
    catalogue: Catalogue, reference_rows: dict[str, list[str]]
) -> None:
    for rid, (_ref, _text, _check, status) in reference_rows.items():
        tag = re.match(r"\[([VPU])\]", status)
        assert tag, f"{rid}: status {status!r} has no [V]/[P]/[U] tag"
        assert catalogue.get(rid).basis is TAG_TO_BASIS[tag.group(1)], rid


def test_kinds_follow_the_reference_check_column(
    catalogue: Catalogue, reference_rows: dict[str, list[str]]
) -> None:
    # Codes outside brackets are the catalogue's classification and must all be kept; a code only
    # inside brackets is a remark that the data may adopt or not.
    for rid, (_ref, _text, check, _status) in reference_rows.items():
        kinds = set(catalogue.get(rid).kinds)
        top_level = {CODE_TO_KIND[c] for c in re.findall(r"\b(BB|RX|DI)\b", re.sub(r"\([^)]*\)", "", check))}
        anywhere = {CODE_TO_KIND[c] for c in re.findall(r"\b(BB|RX|DI)\b", check)}
        assert top_level <= kinds <= (anywhere or {CheckKind.DECLARATION}), f"{rid}: {check!r} vs {kinds}"
        assert catalogue.get(rid).how_to_check == check.replace("**", ""), rid


def test_sources_are_those_of_the_reference_status(
    catalogue: Catalogue, reference_rows: dict[str, list[str]]
) -> None:
    for rid, (_ref, _text, _check, status) in reference_rows.items():
        assert set(catalogue.get(rid).sources) == set(re.findall(r"\bS\d+\b", status)), rid


def test_every_article_reference_is_well_formed(catalogue: Catalogue) -> None:
    articles = [r.article for r in catalogue.all()] + [g.article for g in catalogue.refusal_grounds]
    for article in articles + [c.article for c in catalogue.urgency_criteria]:
        assert parse_article(article)
    for requirement in catalogue.all():
        tag = requirement.article_tag
        assert re.fullmatch(r"art-\d+(-[0-9a-z]+)*(\+art-\d+(-[0-9a-z]+)*)*", tag), requirement.id


@pytest.mark.parametrize(
    ("reference", "tag"),
    [
        ("Art 5(1)(a)", "art-5-1-a"),
        ("Art 4(1) §3", "art-4-1-sub3"),
        ("Art 6(1)(h) + Art 3(d)", "art-6-1-h+art-3-d"),
        ("Art 9(2)-(3)", "art-9-2-to-3"),
        ("Art 15(3)(a)-(c)", "art-15-3-a-to-c"),
        ("Art 14(3)(a)(iii)", "art-14-3-a-iii"),
        ("Art 8(1) s2", "art-8-1-s2"),
        ("Art 16(1) chapeau", "art-16-1-chapeau"),
        ("Art 22(1) + Art 13", "art-22-1+art-13"),
    ],
)
def test_article_tags(reference: str, tag: str) -> None:
    assert article_tag(reference) == tag


@pytest.mark.parametrize(
    "reference",
    [
        "Art 5 (1)",
        "Article 5(1)",
        "Art 5(1)(a",
        "Art 9(3)-(2)",
        "Art 15(3)(c)-(a)",
        "Art 4(1)§3",
        "5(1)",
        "Art 0",
        "",
    ],
)
def test_malformed_article_references_are_rejected(reference: str) -> None:
    with pytest.raises(ValueError, match=r"article reference|range must run upwards"):
        parse_article(reference)


def test_every_item_is_classified(catalogue: Catalogue) -> None:
    for r in catalogue.all():
        assert r.kinds, r.id
        assert isinstance(r.basis, Basis), r.id
        assert all(text.strip() for text in (r.title, r.statement, r.how_to_check)), r.id
        if r.kinds == [CheckKind.DECLARATION]:
            assert len(r.not_testable_reason or "") > 30, r.id
        else:
            assert r.not_testable_reason is None, r.id
    assert [r.id for r in catalogue.all() if not r.member_state_obligation] == ["R-100"]


def test_testable_and_declarations_split_the_catalogue(catalogue: Catalogue) -> None:
    testable = {r.id for r in catalogue.testable()}
    declarations = {r.id for r in catalogue.declarations()}
    assert not testable & declarations
    assert testable | declarations == {r.id for r in catalogue.all()}
    assert {"R-10", "R-81", "R-04", "R-50"} <= testable  # also need a declaration
    assert {"R-02", "R-60", "R-100"} <= declarations


@pytest.mark.parametrize(
    ("rid", "chapter"),
    [
        ("R-01", "II"),
        ("R-27", "II"),
        ("R-40", "III"),
        ("R-45", "IV"),
        ("R-54", "IV"),
        ("R-57", "VI"),
        ("R-60", "V"),
        ("R-94", "V"),
        ("R-95", "VI"),
    ],
)
def test_chapters(catalogue: Catalogue, rid: str, chapter: str) -> None:
    assert catalogue.get(rid).chapter == chapter
    assert catalogue.chapter(chapter).holds(catalogue.get(rid).provisions[0].article)


def test_get_is_forgiving_about_case_and_clear_about_unknown_ids(catalogue: Catalogue) -> None:
    assert catalogue.get(" r-10 ").article == "Art 5(1)(a)"
    with pytest.raises(KeyError, match=r"no requirement 'R-09'.*R-01 to R-100"):
        catalogue.get("R-09")


@pytest.mark.parametrize(
    ("prefix", "ids"),
    [
        ("Art 5", ["R-10", "R-11", "R-12", "R-13", "R-14", "R-15", "R-16", "R-17", "R-18"]),
        ("Art 5(1)", ["R-10", "R-11", "R-12", "R-13", "R-14"]),
        ("art. 5 (1) (b)", ["R-11"]),
        ("Art 1", []),  # not Art 10 to Art 18
        ("Art 3", ["R-27"]),  # the second provision of a compound reference
        ("Art 13", ["R-54", "R-55", "R-56", "R-57"]),
        ("Art 9(3)", ["R-46"]),  # inside the range Art 9(2)-(3)
        ("Art 15(3)(b)", ["R-75"]),  # inside the range Art 15(3)(a)-(c)
        ("Art 15(3)", ["R-74", "R-75"]),
        ("Art 4(1)", ["R-01", "R-02", "R-03"]),
        ("Art 4(1) §3", ["R-03"]),
        ("art-16-1", ["R-80", "R-81", "R-82", "R-83", "R-84", "R-85", "R-86", "R-87", "R-88"]),
        ("ART-7-3", ["R-32", "R-33", "R-34"]),  # R-34 cites Art 7(3)-(4)
        ("art-9-3", ["R-46"]),
    ],
)
def test_by_article(catalogue: Catalogue, prefix: str, ids: list[str]) -> None:
    assert [r.id for r in catalogue.by_article(prefix)] == ids


def test_by_article_rejects_a_malformed_prefix(catalogue: Catalogue) -> None:
    with pytest.raises(ValueError, match="not a well-formed article reference"):
        catalogue.by_article("Art 5(")


def test_json_dump_carries_the_derived_tag(catalogue: Catalogue) -> None:
    dumped = catalogue.get("R-03").model_dump(mode="json")
    assert dumped["article_tag"] == "art-4-1-sub3"
    assert dumped["kinds"] == ["channels", "records"]
    assert dumped["basis"] == "verified"


# --- the enumerations ------------------------------------------------------------------------------


def test_refusal_grounds_match_the_message_vocabulary(catalogue: Catalogue) -> None:
    assert [g.code for g in catalogue.refusal_grounds] == list(RefusalGround)
    for ground in catalogue.refusal_grounds:
        assert ground.article == ground.code.article
    lifting = {g.code for g in catalogue.refusal_grounds if g.lifts_own_initiative_duty}
    assert lifting == {RefusalGround.JR, RefusalGround.NS, RefusalGround.JI, RefusalGround.LP}  # Art 7(2)
    assert catalogue.refusal_ground("OC").article == "Art 6(1)(h)"


def test_urgency_criteria(catalogue: Catalogue) -> None:
    assert [c.code for c in catalogue.urgency_criteria] == list(UrgencyCriterion)
    assert [c.article for c in catalogue.urgency_criteria] == [f"Art 4(4)({p})" for p in "abcd"]
    assert {c.basis for c in catalogue.urgency_criteria} == {Basis.PARTLY_VERIFIED}


def test_request_fields_cover_art_4_5_and_the_request_model(catalogue: Catalogue) -> None:
    minimum = [f for f in catalogue.request_fields if f.group == "art-4-5"]
    assert [f.article for f in minimum] == [f"Art 4(5)({p})" for p in "abcdef"]
    assert {f.basis for f in minimum} == {Basis.UNVERIFIED}
    carried = {name for f in catalogue.request_fields for name in f.carried_by}
    assert carried <= set(InformationRequest.model_fields)
    # Every element the model checks is an element of the catalogue's list.
    blank = InformationRequest(
        reference="r",
        requesting_state="DE",
        requested_state="AT",
        requester="SPOC-DE",
        language="en",
        urgent=True,
        entities=[{"entity_id": "p1", "type": "PERSON"}],
    )
    assert {v.field for v in request_content_violations(blank)} <= carried


def test_personal_data_whitelist_is_marked_unverified(catalogue: Catalogue) -> None:
    whitelist = catalogue.personal_data
    assert whitelist.basis is Basis.UNVERIFIED
    assert {s.subject for s in whitelist.subjects} == set(DataSubjectCategory)
    section_b2 = set(whitelist.allowed(DataSubjectCategory.SUSPECT))
    assert len(section_b2) == 12
    special = {
        PersonalDataCategory.HEALTH,
        PersonalDataCategory.RELIGION,
        PersonalDataCategory.POLITICAL_OPINION,
        PersonalDataCategory.SEXUAL_ORIENTATION,
    }
    for entry in whitelist.subjects:
        assert not special & set(entry.allowed), entry.subject
        assert set(entry.allowed) <= section_b2, entry.subject
        in_catalogue = entry.subject in (DataSubjectCategory.SUSPECT, DataSubjectCategory.POTENTIAL_OFFENDER)
        assert entry.reading == ("catalogue" if in_catalogue else "working")


def test_personal_data_whitelist_comes_from_the_shared_vocabulary(catalogue: Catalogue) -> None:
    # One source for the harness and the reference CMS: the catalogue data file holds no copy of it.
    assert catalogue.personal_data is load_personal_data_whitelist()
    assert "[personal_data]" not in DATA_TEXT
    assert permitted_categories(DataSubjectCategory.WITNESS) == catalogue.personal_data.allowed(
        DataSubjectCategory.WITNESS
    )


def test_a_catalogue_file_carrying_its_own_whitelist_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "edited.toml"
    path.write_text(DATA_TEXT + '\n[personal_data]\nbasis = "verified"\n', encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert caught.value.entry == "personal_data"
    assert "simulators/model/personal_data.toml" in caught.value.problem


# --- a broken data file ----------------------------------------------------------------------------


def _in_block(rid: str, old: str, new: str) -> Callable[[str], str]:
    """Replace `old` by `new` inside the [[requirements]] block of `rid` only."""

    def mutate(text: str) -> str:
        blocks = text.split("[[requirements]]")
        for i, block in enumerate(blocks):
            if f'\nid = "{rid}"\n' in block:
                assert old in block, f"{old!r} not in the block of {rid}"
                blocks[i] = block.replace(old, new, 1)
                return "[[requirements]]".join(blocks)
        raise AssertionError(f"no block for {rid}")

    return mutate


def _replace(old: str, new: str) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    return mutate


BROKEN = [
    ("duplicate id", _in_block("R-11", 'id = "R-11"', 'id = "R-10"'), "R-10", "id", "appears more than once"),
    ("bad id", _in_block("R-11", 'id = "R-11"', 'id = "R11"'), "R11", "id", "should match pattern"),
    ("bad article", _in_block("R-10", '"Art 5(1)(a)"', '"Art 5 (1) a"'), "R-10", "article", "well-formed"),
    ("no kinds", _in_block("R-10", 'kinds = ["channels"]\n', ""), "R-10", "kinds", "is missing"),
    ("empty kinds", _in_block("R-10", 'kinds = ["channels"]', "kinds = []"), "R-10", "kinds", "at least 1"),
    ("unknown kind", _in_block("R-10", '"channels"', '"blackbox"'), "R-10", "kinds.0", "'channels'"),
    ("no basis", _in_block("R-10", 'basis = "verified"\n', ""), "R-10", "basis", "is missing"),
    ("bad basis", _in_block("R-10", 'basis = "verified"', 'basis = "probably"'), "R-10", "basis", "verified"),
    (
        "no reason",
        _in_block("R-02", "not_testable_reason = ", "# "),
        "R-02",
        "not_testable_reason",
        "required",
    ),
    (
        "reason on a testable item",
        _in_block("R-10", "how_to_check", 'not_testable_reason = "x"\nhow_to_check'),
        "R-10",
        "not_testable_reason",
        "only declaration-only",
    ),
    (
        "wrong chapter",
        _in_block("R-40", 'chapter = "III"', 'chapter = "II"'),
        "R-40",
        "chapter",
        "chapter III",
    ),
    ("unknown source", _in_block("R-10", '"S6"]', '"S99"]'), "R-10", "sources", "S99"),
    ("misspelt field", _in_block("R-10", "title = ", "titel = "), "R-10", "titel", "not a field"),
    (
        "ground article",
        _replace('article = "Art 6(1)(h)"', 'article = "Art 6(1)(g)"'),
        "OC",
        "article",
        "6(1)(h)",
    ),
    ("no requirements", lambda text: text.split("[[requirements]]")[0], "requirements", None, "non-empty"),
]


@pytest.mark.parametrize(
    ("mutate", "entry", "field", "problem"),
    [pytest.param(mutate, entry, field, problem, id=name) for name, mutate, entry, field, problem in BROKEN],
)
def test_a_broken_data_file_names_the_entry_and_field(
    tmp_path: Path, mutate: Callable[[str], str], entry: str, field: str | None, problem: str
) -> None:
    path = tmp_path / "requirements.toml"
    path.write_text(mutate(DATA_TEXT), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    error = caught.value
    assert error.source == str(path)
    assert error.entry is not None
    assert entry in error.entry
    assert error.field == field
    assert problem in error.problem
    assert str(path) in str(error)
    assert entry in str(error)


def test_invalid_toml_is_reported_with_its_line() -> None:
    with pytest.raises(CatalogueError, match=r"broken\.toml: not valid TOML: .*line 1"):
        parse_catalogue('id = "R-01\n', source="broken.toml")


def test_an_unreadable_file_is_a_catalogue_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read the catalogue"):
        load_catalogue(tmp_path / "missing.toml")


# --- spoc-harness requirements ---------------------------------------------------------------------


BRIEF_KEYS = ("id", "article", "article_tag", "chapter", "title", "kinds", "basis", "not_testable_reason")


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["requirements", *args])
    return result.exit_code, result.output


def _json(*args: str) -> dict[str, object]:
    code, output = _run("--json", *args)
    assert code == 0, output
    parsed = json.loads(output)
    assert isinstance(parsed, dict)
    return parsed


def _ids(parsed: dict[str, object]) -> list[str]:
    items = parsed["requirements"]
    assert isinstance(items, list)
    return [item["id"] for item in items]


def test_cli_json_lists_every_item(catalogue: Catalogue) -> None:
    parsed = _json()
    assert _ids(parsed) == [r.id for r in catalogue.all()]
    items = parsed["requirements"]
    assert isinstance(items, list)
    for item in items:
        assert set(BRIEF_KEYS) <= set(item), item["id"]
    by_id = {item["id"]: item for item in items}
    assert by_id["R-10"]["article_tag"] == "art-5-1-a"
    assert by_id["R-60"]["not_testable_reason"]
    summary = parsed["summary"]
    assert isinstance(summary, dict)
    assert summary["count"] == len(catalogue.all())
    assert summary["testable"] + summary["declaration_only"] == summary["count"]


@pytest.mark.parametrize("kind", [k.value for k in CheckKind])
def test_cli_kind_filter(catalogue: Catalogue, kind: str) -> None:
    assert _ids(_json("--kind", kind)) == [r.id for r in catalogue.all() if CheckKind(kind) in r.kinds]


def test_cli_filters_combine(catalogue: Catalogue) -> None:
    either = _ids(_json("--kind", "channels", "--kind", "RECORDS"))
    assert either == [r.id for r in catalogue.testable()]
    unverified_in_art_6 = _ids(_json("--basis", "unverified", "--article", "Art 6"))
    assert unverified_in_art_6 == ["R-21", "R-22", "R-25", "R-26"]
    assert _ids(_json("--article", "Art 5(1)", "--kind", "records")) == ["R-13", "R-14"]
    assert _ids(_json("--article", "Art 50")) == []


def test_cli_table_has_every_item_and_a_summary(catalogue: Catalogue) -> None:
    code, output = _run()
    assert code == 0, output
    for r in catalogue.all():
        assert re.search(rf"\b{r.id}\b", output), r.id
    total = len(catalogue.all())
    channels = sum(CheckKind.CHANNELS in r.kinds for r in catalogue.all())
    verified = sum(r.basis is Basis.VERIFIED for r in catalogue.all())
    summary = " ".join(output.split())  # the console may wrap the line
    assert f"{total} of {total} requirements" in summary
    assert f"channels {channels}" in summary
    assert f"verified {verified}" in summary


@pytest.mark.parametrize(
    "args", [("--kind", "blackbox"), ("--basis", "maybe"), ("--article", "Art 5("), ("--nonsense",)]
)
def test_cli_bad_option_exits_2(args: tuple[str, ...]) -> None:
    code, output = _run(*args)
    assert code == 2, output
    assert "Error" in output


def test_cli_reports_a_broken_catalogue_file(tmp_path: Path) -> None:
    path = tmp_path / "edited.toml"
    path.write_text(_in_block("R-10", '"Art 5(1)(a)"', '"Art five"')(DATA_TEXT), encoding="utf-8")
    code, output = _run("--catalogue", str(path))
    assert code == 1
    assert "R-10" in output
    assert "'article'" in output


def test_installed_command_help() -> None:
    executable = Path(sys.executable).parent / "spoc-harness"
    if not executable.exists():
        pytest.skip("spoc-harness is not installed beside this interpreter")
    done = subprocess.run(
        [str(executable), "requirements", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    for option in ("--kind", "--basis", "--article", "--json"):
        assert option in done.stdout
