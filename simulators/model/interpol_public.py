"""The public face of published notices: a mimic of Interpol's public notices API.

Field names, formats and the HAL-style list follow the public API as documented by the
`bundesAPI/interpol-api` OpenAPI description (channels.md §3.4): `entity_id` "2026/10001" with a
slash while URLs use "2026-10001"; ISO alpha-2 nationalities; three-letter language codes ("GER");
dates as "YYYY/MM/DD"; `_embedded.notices` and `_links` (self, first, next, last). Only red, yellow
and UN Security Council special notices that their source allowed to be public appear here; the
mimic is read-only. Rendering is pure: the HTTP layer passes the base URL and the network's day.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from simulators.model.interpol import I247Message, NoticeColour

__all__ = [
    "MAX_RESULTS_PER_PAGE",
    "PUBLIC_KINDS",
    "NoticeQuery",
    "PublicKind",
    "PublishedNotice",
    "entity_id_from_url",
    "images_document",
    "listing",
    "notice_detail",
    "notice_path",
    "url_id",
]

PublicKind = Literal["red", "yellow", "un"]
PUBLIC_KINDS: dict[str, NoticeColour] = {
    "red": NoticeColour.RED,
    "yellow": NoticeColour.YELLOW,
    "un": NoticeColour.UNSC_SPECIAL,
}
# Third-party notes on the real service report this cap; pages beyond it are not served.
MAX_RESULTS_PER_PAGE = 160
DEFAULT_RESULTS_PER_PAGE = 20


class PublishedNotice(BaseModel):
    """A notice the General Secretariat published, as the public mimic needs it."""

    model_config = ConfigDict(frozen=True)

    entity_id: str = Field(description='"YYYY/NNNNN"')
    colour: NoticeColour
    published_at: AwareDatetime
    requester: str
    request_message_id: str
    content: I247Message

    @property
    def public_kind(self) -> PublicKind | None:
        for kind, colour in PUBLIC_KINDS.items():
            if colour is self.colour:
                return kind  # type: ignore[return-value]
        return None

    @property
    def public(self) -> bool:
        return self.public_kind is not None and self.content.public_extract


def url_id(entity_id: str) -> str:
    return entity_id.replace("/", "-")


def entity_id_from_url(notice_id: str) -> str:
    return notice_id.replace("-", "/", 1)


def notice_path(kind: PublicKind, entity_id: str) -> str:
    # The real service files UN notices under /un/persons/ (entities under /un/entities/).
    middle = "un/persons" if kind == "un" else kind
    return f"/notices/v1/{middle}/{url_id(entity_id)}"


class NoticeQuery(BaseModel):
    """Query parameters of the public list endpoints, with the public API's names."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    forename: str | None = None
    name: str | None = None
    nationality: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] | None = None
    age_min: Annotated[int, Field(ge=0, le=150)] | None = Field(default=None, alias="ageMin")
    age_max: Annotated[int, Field(ge=0, le=150)] | None = Field(default=None, alias="ageMax")
    free_text: str | None = Field(default=None, alias="freeText")
    sex_id: Literal["", "F", "M", "U"] | None = Field(default=None, alias="sexId")
    arrest_warrant_country_id: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] | None = Field(
        default=None, alias="arrestWarrantCountryId"
    )
    un_reference: str | None = Field(default=None, alias="unReference")
    un_resolution: int | None = Field(default=None, alias="unResolution")
    page: Annotated[int, Field(ge=1)] = 1
    result_per_page: Annotated[int, Field(ge=1, le=MAX_RESULTS_PER_PAGE)] = Field(
        default=DEFAULT_RESULTS_PER_PAGE, alias="resultPerPage"
    )

    def given(self) -> dict[str, Any]:
        """The filters the caller set, under their public names, in the public API's order."""
        return {
            k: v for k, v in self.model_dump(by_alias=True, exclude={"page", "result_per_page"}).items() if v
        }


def _age(date_of_birth: str | None, today: date) -> int | None:
    if not date_of_birth:
        return None
    parts = [int(p) for p in date_of_birth.split("/")]
    year, month, day = [*parts, 1, 1][:3]
    return today.year - year - ((today.month, today.day) < (month, day))


def _contains(haystack: str | None, needle: str) -> bool:
    return haystack is not None and needle.casefold() in haystack.casefold()


def _matches(notice: PublishedNotice, query: NoticeQuery, today: date) -> bool:
    c = notice.content
    p = c.person
    if p is None:
        return False
    if query.forename and not _contains(p.forename, query.forename):
        return False
    if query.name and not _contains(p.name, query.name):
        return False
    if query.nationality and query.nationality.upper() not in p.nationalities:
        return False
    if query.sex_id and p.sex_id != query.sex_id:
        return False
    age = _age(p.date_of_birth, today)
    if query.age_min is not None and (age is None or age < query.age_min):
        return False
    if query.age_max is not None and (age is None or age > query.age_max):
        return False
    if query.arrest_warrant_country_id and not any(
        w.issuing_country_id == query.arrest_warrant_country_id.upper() for w in c.arrest_warrants
    ):
        return False
    if query.un_reference and (c.un_listing is None or c.un_listing.un_reference != query.un_reference):
        return False
    if query.un_resolution is not None and (
        c.un_listing is None or c.un_listing.un_resolution != query.un_resolution
    ):
        return False
    if query.free_text:
        texts = [
            p.name,
            p.forename,
            p.distinguishing_marks,
            p.place_of_birth,
            *(w.charge for w in c.arrest_warrants),
        ]
        if not any(_contains(t, query.free_text) for t in texts):
            return False
    return True


def _href(base: str, path: str, params: dict[str, Any] | None = None) -> dict[str, str]:
    return {"href": base + path + (f"?{urlencode(params)}" if params else "")}


def _list_item(kind: PublicKind, notice: PublishedNotice, base: str) -> dict[str, Any]:
    p = notice.content.person
    path = notice_path(kind, notice.entity_id)
    return {
        "forename": p.forename if p else None,
        "date_of_birth": p.date_of_birth if p else None,
        "entity_id": notice.entity_id,
        "nationalities": list(p.nationalities) if p else [],
        "name": p.name if p else None,
        "_links": {"self": _href(base, path), "images": _href(base, path + "/images")},
    }


def listing(
    kind: PublicKind, notices: list[PublishedNotice], query: NoticeQuery, *, base: str, today: date
) -> dict[str, Any]:
    """The HAL list document of one public notice kind, newest first."""
    hits = [n for n in notices if n.public and n.public_kind == kind and _matches(n, query, today)]
    hits.sort(key=lambda n: n.published_at, reverse=True)
    per_page = query.result_per_page
    last = max(1, math.ceil(len(hits) / per_page))
    page_hits = hits[(query.page - 1) * per_page : query.page * per_page]
    given = query.given()
    path = f"/notices/v1/{kind}"

    def link(page: int) -> dict[str, str]:
        return _href(base, path, {**given, "resultPerPage": per_page, "page": page})

    links: dict[str, Any] = {"self": link(query.page), "first": link(1)}
    if query.page < last:
        links["next"] = link(query.page + 1)
    links["last"] = link(last)
    return {
        "total": len(hits),
        "query": {"page": query.page, "resultPerPage": per_page, **given},
        "_embedded": {"notices": [_list_item(kind, n, base) for n in page_hits]},
        "_links": links,
    }


# Long: one literal of the public API's detail fields, field by field, so that
# it reads against Interpol's published schema.
def notice_detail(kind: PublicKind, notice: PublishedNotice, *, base: str) -> dict[str, Any]:
    """One notice with exactly the public API's detail fields (absent values as null or [])."""
    c = notice.content
    p = c.person
    person: dict[str, Any] = p.model_dump() if p else {}
    path = notice_path(kind, notice.entity_id)
    common: dict[str, Any] = {
        "entity_id": notice.entity_id,
        "name": person.get("name"),
        "forename": person.get("forename"),
        "date_of_birth": person.get("date_of_birth"),
        "sex_id": person.get("sex_id"),
        "nationalities": person.get("nationalities", []),
        "country_of_birth_id": person.get("country_of_birth_id"),
        "place_of_birth": person.get("place_of_birth"),
        "languages_spoken_ids": person.get("languages_spoken_ids", []),
        "weight": person.get("weight"),
    }
    if kind == "red":
        body: dict[str, Any] = {
            "arrest_warrants": [w.model_dump() for w in c.arrest_warrants],
            **common,
            "height": person.get("height"),
            "distinguishing_marks": person.get("distinguishing_marks"),
            "eyes_colors_id": person.get("eyes_colors_id", []),
            "hairs_id": person.get("hairs_id", []),
        }
    elif kind == "yellow":
        event = c.missing_event
        body = {
            **common,
            "birth_name": person.get("birth_name"),
            "height": person.get("height"),
            "eyes_colors_id": person.get("eyes_colors_id", []),
            "hairs_id": person.get("hairs_id", []),
            "distinguishing_marks": person.get("distinguishing_marks"),
            "place": event.place if event else None,
            "date_of_event": event.date_of_event if event else None,
            "country": event.country if event else None,
            "father_forename": person.get("father_forename"),
            "mother_forename": person.get("mother_forename"),
            "mother_name": person.get("mother_name"),
        }
    else:
        listing_ = c.un_listing
        un = listing_.model_dump() if listing_ else {}
        body = {
            **common,
            "summary": un.get("summary"),
            "profession": None,
            "purposes": un.get("purposes", []),
            "aliases": person.get("aliases", []),
            "father_name": person.get("father_name"),
            "father_forename": person.get("father_forename"),
            "mother_name": person.get("mother_name"),
            "mother_forename": person.get("mother_forename"),
            "un_reference": un.get("un_reference"),
            "un_resolution": un.get("un_resolution"),
            "un_reference_date": un.get("un_reference_date"),
            "identity_documents": un.get("identity_documents", []),
            "name_at_birth": person.get("birth_name"),
            "name_in_original_script": None,
            "forename_in_original_script": None,
            "associates": un.get("associates", []),
            "adresses": un.get("adresses", []),
            "main_activity": un.get("main_activity"),
            "from_chamber_of_commerce": None,
            "legal_form": None,
            "administrators": [],
            "additional_information": None,
            "registration_number": None,
            "formerly_known_as": None,
        }
    body["_embedded"] = {"links": []}
    body["_links"] = {"self": _href(base, path), "images": _href(base, path + "/images")}
    return body


def images_document(kind: PublicKind, notice: PublishedNotice, *, base: str) -> dict[str, Any]:
    """The images list of a notice; the simulator publishes no pictures, so it is empty."""
    path = notice_path(kind, notice.entity_id)
    return {
        "_embedded": {"images": []},
        "_links": {"self": _href(base, path + "/images"), "notice": _href(base, path)},
    }
