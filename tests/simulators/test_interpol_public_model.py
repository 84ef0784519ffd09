"""Rendering of the public notices API mimic, without a server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from simulators.model.interpol import I247Message
from simulators.model.interpol_public import (
    NoticeQuery,
    PublishedNotice,
    entity_id_from_url,
    listing,
    notice_detail,
    url_id,
)

BASE = "http://127.0.0.1:9"
TODAY = date(2026, 3, 2)


def published(n: int, *, colour: str = "RED", public: bool = True, **person: Any) -> PublishedNotice:
    content = I247Message.model_validate(
        {
            "kind": "NOTICE_REQUEST",
            "sender": "NCB-DE",
            "colour": colour,
            "language": "en",
            "subject": "notice",
            "person": {
                "name": f"NAME{n}",
                "forename": "ANNA",
                "date_of_birth": "1990/04/01",
                "sex_id": "F",
                "nationalities": ["DE"],
                "languages_spoken_ids": ["GER"],
                **person,
            },
            "person_status": "ACCUSED" if colour == "RED" else "MISSING",
            "arrest_warrants": [{"issuing_country_id": "DE", "charge": "Fraud"}] if colour == "RED" else [],
            "offence_max_penalty_years": 5,
            "public_extract": public,
        }
    )
    return PublishedNotice(
        entity_id=f"2026/{10000 + n}",
        colour=colour,
        published_at=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=n),
        requester="NCB-DE",
        request_message_id=f"INTERPOL-{n:09d}",
        content=content,
    )


def test_ids_slash_in_entity_dash_in_url() -> None:
    assert url_id("2026/10001") == "2026-10001"
    assert entity_id_from_url("2026-10001") == "2026/10001"


def test_list_is_hal_with_public_names_and_paging() -> None:
    notices = [published(i) for i in range(1, 6)] + [published(9, public=False)]
    doc = listing(
        "red", notices, NoticeQuery.model_validate({"resultPerPage": 2, "page": 2}), base=BASE, today=TODAY
    )
    assert doc["total"] == 5
    assert doc["query"] == {"page": 2, "resultPerPage": 2}
    items = doc["_embedded"]["notices"]
    assert [i["entity_id"] for i in items] == ["2026/10003", "2026/10002"]
    assert set(items[0]) == {"forename", "date_of_birth", "entity_id", "nationalities", "name", "_links"}
    assert items[0]["_links"]["self"]["href"] == f"{BASE}/notices/v1/red/2026-10003"
    assert doc["_links"]["next"]["href"].endswith("resultPerPage=2&page=3")
    assert doc["_links"]["last"]["href"].endswith("page=3")


def test_filters_use_public_parameter_names() -> None:
    notices = [published(1), published(2, nationalities=["FR"], forename="JEAN", sex_id="M")]
    query = NoticeQuery.model_validate({"nationality": "FR", "sexId": "M", "ageMin": 30, "ageMax": 40})
    doc = listing("red", notices, query, base=BASE, today=TODAY)
    assert [n["name"] for n in doc["_embedded"]["notices"]] == ["NAME2"]
    assert doc["query"] == {
        "page": 1,
        "resultPerPage": 20,
        "nationality": "FR",
        "ageMin": 30,
        "ageMax": 40,
        "sexId": "M",
    }
    assert (
        listing("red", notices, NoticeQuery.model_validate({"ageMin": 36}), base=BASE, today=TODAY)["total"]
        == 0
    )


def test_red_detail_fields() -> None:
    detail = notice_detail("red", published(1, height=1.7, eyes_colors_id=["BRO"]), base=BASE)
    assert detail["entity_id"] == "2026/10001"
    assert detail["arrest_warrants"] == [
        {"issuing_country_id": "DE", "charge": "Fraud", "charge_translation": None}
    ]
    assert detail["languages_spoken_ids"] == ["GER"]
    assert detail["nationalities"] == ["DE"]
    assert detail["date_of_birth"] == "1990/04/01"
    assert detail["_links"]["images"]["href"] == f"{BASE}/notices/v1/red/2026-10001/images"
    assert {
        "weight",
        "height",
        "sex_id",
        "country_of_birth_id",
        "distinguishing_marks",
        "eyes_colors_id",
        "hairs_id",
        "place_of_birth",
        "_embedded",
    } <= detail.keys()


def test_yellow_detail_fields() -> None:
    detail = notice_detail("yellow", published(1, colour="YELLOW", mother_name="MUSTER"), base=BASE)
    assert {
        "birth_name",
        "place",
        "date_of_event",
        "country",
        "father_forename",
        "mother_forename",
        "mother_name",
    } <= detail.keys()
    assert "arrest_warrants" not in detail
    assert detail["mother_name"] == "MUSTER"
