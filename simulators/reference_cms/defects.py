"""The named defects the reference CMS can be run with: realistic mistakes a vendor CMS could make.

Each defect names the catalogue requirements it violates and says in one sentence what goes wrong.
The CMS asks `ActiveDefects.active(DEFECT)` at the exact point of the mistake, with DEFECT one of the
constants below (a misspelt one fails when the module importing it loads), so one code base
serves the correct CMS and every broken variant; the conformance campaign run against a variant
must then fail exactly the named requirements (that is how the harness itself is tested).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DEFECTS", "ActiveDefects", "Defect", "UnknownDefectError"]


@dataclass(frozen=True)
class Defect:
    name: str
    requirements: tuple[str, ...]
    summary: str

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "requirements": list(self.requirements), "summary": self.summary}


class UnknownDefectError(ValueError):
    """A defect name that is not in the registry."""


LATE_URGENT_REPLY = Defect(
    "late-urgent-reply", ("R-10", "R-14"),
    "Urgent requests wait in the ordinary queue, so an urgent request for directly available "
    "information is answered after 24 hours instead of within 8.")
DEADLINE_FROM_FIRST_VIEW = Defect(
    "deadline-from-first-view", ("R-13", "R-85"),
    "The deadline is counted from the operator's first view of the case, at the end of processing, "
    "instead of from the receipt of the request.")
CLARIFICATION_RESTARTS_CLOCK = Defect(
    "clarification-restarts-clock", ("R-25", "R-85", "R-10"),
    "When the clarification arrives the full time limit starts again instead of resuming the "
    "suspended one, and the CMS answers just before that wrong deadline.")
REFUSAL_WITHOUT_GROUND = Defect(
    "refusal-without-ground", ("R-20", "R-23"),
    "Refusals carry free-text reasons only, without any Art 6(1) ground.")
REFUSAL_OF_INDIRECT_INFORMATION = Defect(
    "refusal-of-indirect-information", ("R-20", "R-11", "R-64"),
    "Information only indirectly available is refused as not available (NA) instead of being "
    "obtained from the authority that holds it and provided.")
REPLY_IN_OWN_LANGUAGE = Defect(
    "reply-in-own-language", ("R-16", "R-26"),
    "Replies, refusals, clarification requests and delay notices are written in the SPOC's own "
    "first language instead of the language of the request.")
ENGLISH_NOT_ACCEPTED = Defect(
    "english-not-accepted", ("R-50", "R-61"),
    "A request in English is refused as not meeting Art 4 (NC) because English is missing from "
    "the CMS's language list.")
LANGUAGE_READ_FROM_MESSAGE_NOT_REQUEST = Defect(
    "language-read-from-message-not-request", ("R-61",),
    "The Art 4(6) language test reads the covering message's language instead of the request's: a "
    "request in a language of the Art 11 list, sent under a message in another, is sent back for translation.")
NO_SPOC_COPY_FOR_DESIGNATED_REQUEST = Defect(
    "no-spoc-copy-for-designated-request", ("R-03",),
    "A designated authority's request to a foreign SPOC goes out without the copy to its own SPOC.")
LATE_COPY = Defect(
    "late-copy", ("R-17", "R-33", "R-40", "R-42", "R-03"),
    "Copies to SPOCs are sent as a separate COPY message two hours after the exchange instead of "
    "at the same time.")
NON_SIENA_WITHOUT_EXCEPTION = Defect(
    "non-siena-without-exception", ("R-54", "R-55"),
    "Outgoing requests travel NCB-to-NCB on the Interpol channel with no Art 13(2) exception.")
NO_FALLBACK_ON_SIENA_OUTAGE = Defect(
    "no-fallback-on-siena-outage", ("R-55", "R-10"),
    "When SIENA is unavailable the CMS keeps retrying SIENA every 30 minutes instead of using "
    "another channel, so an urgent answer misses its deadline during an outage.")
DUPLICATE_DELIVERY_OPENS_SECOND_CASE = Defect(
    "duplicate-delivery-opens-second-case", ("R-81", "R-86", "R-97"),
    "A redelivered message (same channel message id) opens a second case and is answered twice.")
REFUSED_COUNTED_AS_REPLIED = Defect(
    "refused-counted-as-replied", ("R-97",),
    "The statistics count wholly refused requests among the requests replied to.")
STATISTICS_WITHOUT_STATE_BREAKDOWN = Defect(
    "statistics-without-state-breakdown", ("R-97", "R-98", "R-99"),
    "The statistics give totals only, without the breakdown by requesting member state.")
AUDIT_WITHOUT_CONSULTATIONS = Defect(
    "audit-without-consultations", ("R-88",),
    "Consultations of held information (cross-checks and database look-ups) are not written to "
    "the audit log.")
NO_DELAY_NOTICE_FOR_JUDICIAL = Defect(
    "no-delay-notice-for-judicial", ("R-15",),
    "When judicial authorisation is needed the CMS waits for it silently, sending no delay notice "
    "with the expected length and reasons.")
PARTIAL_REFUSAL_REFUSES_ALL = Defect(
    "partial-refusal-refuses-all", ("R-22",),
    "When one item of a request must be refused, the whole request is refused, including the "
    "items that could be provided.")
NO_EUROPOL_DECISION = Defect(
    "no-europol-decision", ("R-52",),
    "No Art 12 decision on a copy to Europol is recorded for any exchange and no copy is sent.")
PERSONAL_DATA_OUTSIDE_CATEGORIES = Defect(
    "personal-data-outside-categories", ("R-48",),
    "Personal data are provided in every category held, including categories outside Annex II "
    "Section B for the data subject's category.")
IGNORES_HARNESS_CLOCK = Defect(
    "ignores-harness-clock", ("R-13", "R-85", "R-10"),
    "The CMS accepts the instruction to follow the network clock but keeps its own system clock, "
    "so its timestamps, deadlines and scheduled answers ignore network time.")
NO_RELIABILITY_ELEMENTS = Defect(
    "no-reliability-elements", ("R-49",),
    "Personal data are provided without the Art 10(c) elements (source reliability, accuracy, "
    "date of last update).")
NO_CROSS_CHECK = Defect(
    "no-cross-check", ("R-84",),
    "Incoming requests are not cross-checked against earlier exchanges and held information.")
LATE_RETENTION_REVIEW = Defect(
    "late-retention-review", ("R-91",),
    "The first retention review is planned 12 months after an exchange concludes instead of "
    "within 6 months.")
REFUSES_INSTEAD_OF_CLARIFYING = Defect(
    "refuses-instead-of-clarifying", ("R-24", "R-20"),
    "A request missing Art 4(5) content is refused as not meeting Art 4 (NC) instead of being "
    "clarified with the requester.")
NO_COPY_TO_FOREIGN_SPOC_FOR_DIRECT_REQUEST = Defect(
    "no-copy-to-foreign-spoc-for-direct-request", ("R-40",),
    "A request the SPOC sends straight to a foreign competent authority goes without the copy "
    "to that state's SPOC.")
OWN_INITIATIVE_IN_OWN_LANGUAGE = Defect(
    "own-initiative-in-own-language", ("R-32",),
    "Own-initiative information is written in the SPOC's own first language even where the "
    "recipient state does not list it under Art 11.")
REKEYED_MESSAGE_IDS = Defect(
    "rekeyed-message-ids", ("R-86", "R-81"),
    "Case records store CMS-internal message numbers instead of the channel message ids, so the "
    "records cannot be matched with the channel traffic.")
EUROPOL_COPY_WITHOUT_PURPOSES = Defect(
    "europol-copy-without-purposes", ("R-53",),
    "Copies to Europol carry no processing purposes and no restrictions on use.")
DISCLOSURE_WITHOUT_RECIPIENT = Defect(
    "disclosure-without-recipient", ("R-88",),
    "Audit entries for disclosures do not name the recipient of the data.")
COPIES_COUNTED_AS_REQUESTS = Defect(
    "copies-counted-as-requests", ("R-97",),
    "Copies received under Arts 4(1), 5(3), 7 and 8 are counted among the requests received.")
ORIGINATOR_CONSENT_NOT_CHECKED = Defect(
    "originator-consent-not-checked", ("R-27",),
    "Information the national records hold from another state is provided without asking whether "
    "that state consented (Art 6(1)(h)): the origin of a record is never looked at.")
OWN_INITIATIVE_NOT_RECORDED = Defect(
    "own-initiative-not-recorded", ("R-30", "R-31"),
    "Own-initiative information leaves straight through the channel client: the case opened for it "
    "never records the message sent (Art 16(1)(c)).")
SERIOUS_OWN_INITIATIVE_HELD_FOR_APPROVAL = Defect(
    "serious-own-initiative-held-for-approval", ("R-31", "R-30"),
    "Own-initiative information on a serious criminal offence waits in a supervisor's approval queue "
    "that nothing releases, so it is never provided (Art 7(2)).")
NO_SPOC_COPY_FOR_AUTHORITY_OWN_INITIATIVE = Defect(
    "no-spoc-copy-for-authority-own-initiative", ("R-34",),
    "A domestic competent authority's own-initiative information goes without the copy to its own "
    "SPOC (Art 7(4)).")
NO_SPOC_COPY_FOR_AUTHORITY_REPLY = Defect(
    "no-spoc-copy-for-authority-reply", ("R-41",),
    "A domestic competent authority answers a foreign SPOC's direct request without the copy to its "
    "own SPOC (Art 8(1)).")
COPIES_WITHHELD_FOR_RESTRICTED_HANDLING = Defect(
    "copies-withheld-for-restricted-handling", ("R-43", "R-40", "R-42"),
    "A direct request to a foreign competent authority marked H2 (no dissemination without the "
    "provider's permission) goes without the Art 8 copies to the SPOCs, and no Art 8(3) ground is "
    "recorded.")
JUDICIAL_APPLICATION_NEXT_WORKING_DAY = Defect(
    "judicial-application-next-working-day", ("R-46", "R-15"),
    "Applications for judicial authorisation are collected and made in the next working day's 08:00 "
    "batch, and the requester hears of the delay only then, instead of at once.")
OUT_OF_DATE_DATA_PROVIDED = Defect(
    "out-of-date-data-provided", ("R-47",),
    "Records the national register marks as out of date (ground DQ) are provided anyway, graded "
    "accuracy 4, instead of being withheld (Art 10(a)).")
REQUEST_IN_OWN_LANGUAGE = Defect(
    "request-in-own-language", ("R-08", "R-01"),
    "Outgoing requests are written in the SPOC's own first language even where the requested state "
    "does not list it under Art 11.")
REQUEST_WITHOUT_SUBJECT_LINK = Defect(
    "request-without-subject-link", ("R-07", "R-01"),
    "The outgoing request form has no field for the link between the purpose and the persons "
    "concerned (Art 4(5)(d)), so requests go without it.")
NO_NECESSITY_STATEMENT = Defect(
    "no-necessity-statement", ("R-05",),
    "The operator's assessment of necessity and proportionality stays in the case file; requests go "
    "without the Art 4(3) reasons.")
URGENCY_NOT_FLAGGED_ON_SIENA = Defect(
    "urgency-not-flagged-on-siena", ("R-06",),
    "Urgent requests go on SIENA with normal priority: the urgency is only in the request's content.")
DEADLINE_IN_WORKING_DAYS = Defect(
    "deadline-in-working-days", ("R-12", "R-14", "R-85"),
    "The 7-day limit of non-urgent requests is counted in working days, and the non-urgent queue, "
    "worked by due date, answers on the last of them.")
OFFICE_HOURS_ONLY = Defect(
    "office-hours-only", ("R-68", "R-10", "R-11", "R-14"),
    "Requests are worked on only in office hours (Monday to Friday, 08:00-17:00 local time, not on "
    "public holidays): one received at night, at a weekend or on a holiday waits for the office to open.")
COPY_EXCEPTION_NOT_RECORDED = Defect(
    "copy-exception-not-recorded", ("R-04", "R-18", "R-03", "R-17"),
    "A copy to a SPOC is omitted on an exception ground, but the ground is recorded neither in the "
    "case nor in the message.")
HAND_OVER_OUTSIDE_CMS = Defect(
    "hand-over-outside-cms", ("R-62", "R-82"),
    "A request the operator channels to a domestic competent authority is handed over and answered by "
    "e-mail outside the CMS: the case records neither the hand-over nor the authority's answer.")
PARTIAL_REFUSAL_NOT_SENT = Defect(
    "partial-refusal-not-sent", ("R-65", "R-23", "R-98"),
    "When only some items of a request are refused, the refusal is recorded in the case but never sent: "
    "the requester gets the information provided and no refusal of the rest.")
CLARIFICATION_REQUEST_NOT_ANSWERED = Defect(
    "clarification-request-not-answered", ("R-66",),
    "A requested SPOC's request for clarification of one of the state's own requests is recorded but "
    "never answered.")
NCB_EXCHANGES_OUTSIDE_CMS = Defect(
    "ncb-exchanges-outside-cms", ("R-80", "R-81", "R-86", "R-97"),
    "Exchanges of the Interpol NCB on I-24/7 are handled in the NCB's own application: they are "
    "answered, but missing from the SPOC's case records, message log and statistics.")
AUTHORITY_REPLY_OUTSIDE_CMS = Defect(
    "authority-reply-outside-cms", ("R-83",),
    "A domestic competent authority answers a direct request (Art 8) from its own system: the CMS "
    "records only the copy its SPOC received, not the provision of the information.")
STATISTICS_COMPILED_BY_HAND = Defect(
    "statistics-compiled-by-hand", ("R-87", "R-95", "R-96", "R-97", "R-98", "R-99"),
    "The CMS has no statistics function: the Art 18 figures are compiled by hand outside it, and the "
    "statistics export answers 501.")
AUTOMATED_PROCESSING_WITHOUT_ACTOR = Defect(
    "automated-processing-without-actor", ("R-89", "R-88"),
    "Processing done by the CMS's automated jobs (receipts, planned answers, retention reviews) is "
    "logged without an actor, so it cannot be attributed.")
RETENTION_REVIEW_WITHOUT_ERASURE = Defect(
    "retention-review-without-erasure", ("R-90",),
    "The retention review archives a concluded case instead of deleting its personal data: the names "
    "stay in the case record and no erasure is logged.")
ERASURE_LEAVES_TRACES = Defect(
    "erasure-leaves-traces", ("R-90",),
    "The retention review erases the case record's persons and items but leaves their names in the "
    "request's free-text reasons, the stored received messages, the audit log's data and the database "
    "file's free pages.")
STATISTICS_LAST_TWELVE_MONTHS = Defect(
    "statistics-last-twelve-months", ("R-95",),
    "The yearly statistics cover the twelve months before the report is produced instead of the "
    "calendar year asked for.")
STATISTICS_IGNORE_COMPETENT_AUTHORITIES = Defect(
    "statistics-ignore-competent-authorities", ("R-96", "R-97"),
    "The statistics count every request as the SPOC's: requests submitted by designated or competent "
    "authorities and requests received by a competent authority are counted under the SPOC.")
SUBJECT_CATEGORY_FROM_REQUEST = Defect(
    "subject-category-from-request", ("R-48",),
    "The data subject's category is taken from the requester's description of the person instead of the "
    "national register: a witness asked about as a suspect is filtered, and labelled, as a suspect, so "
    "data Annex II Section B withholds for witnesses are provided.")
LAST_UPDATED_FROM_IMPORT = Defect(
    "last-updated-from-import", ("R-47", "R-49"),
    "Every record provided is dated by its import into the CMS instead of the register's date of last "
    "update, so out-of-date data look current (Art 10(a), 10(c)).")
AUDIT_WITHOUT_ALTERATIONS = Defect(
    "audit-without-alterations", ("R-88",),
    "The audit log knows only collection, consultation and disclosure: a request completed by the "
    "requester's clarification (alteration) and a cross-check's links to earlier exchanges (combination) "
    "are not logged.")
NO_DELAY_UPDATES = Defect(
    "no-delay-updates", ("R-15",),
    "When judicial authorisation is needed the requester gets the first delay notice but no update "
    "afterwards, however long the court takes (Art 5(2) 'keep updated').")
COPY_EXCEPTION_DEFAULTED = Defect(
    "copy-exception-defaulted", ("R-03", "R-04"),
    "The designated authority's request form pre-fills the Art 4(2) exception 'safety of a person', so "
    "requests go without the copy to the SPOC on a ground nobody chose.")
FALLBACK_LABELLED_THIRD_COUNTRY = Defect(
    "fallback-labelled-third-country", ("R-55",),
    "When SIENA is down the fallback over Interpol I-24/7 is labelled with the Art 13(2)(a) exception "
    "'third country involved' instead of the incident (Art 13(2)(c)), although no third country takes part.")
# Defects an obligation checked only on the combinations a hand-written scenario happened to produce
# let through: each breaks its obligation on one combination only (caught by the generated exchanges).
URGENT_DESIGNATED_REQUEST_WITHOUT_SPOC_COPY = Defect(
    "urgent-designated-request-without-spoc-copy", ("R-03",),
    "An urgent request of a domestic designated authority takes the urgent path straight to the "
    "foreign SPOC, without the copy to its own SPOC (non-urgent ones are copied).")
URGENT_DESIGNATED_REPLY_WITHOUT_COPY = Defect(
    "urgent-designated-reply-without-copy", ("R-17",),
    "Information for an urgent request of a foreign designated authority goes out on the urgent path "
    "without the copy to that state's SPOC (non-urgent answers are copied).")
URGENT_AUTHORITY_REPLY_WITHOUT_SPOC_COPY = Defect(
    "urgent-authority-reply-without-spoc-copy", ("R-41",),
    "A domestic competent authority answers an urgent direct request of a foreign SPOC without the copy "
    "to its own SPOC (non-urgent answers are copied).")
URGENT_REQUEST_SKIPS_CONSENT_CHECK = Defect(
    "urgent-request-skips-consent-check", ("R-27",),
    "Urgent requests skip the originator's consent check, so information obtained from another state "
    "is provided without its consent when the request is urgent.")
DESIGNATED_AUTHORITY_REQUESTS_OFFICE_HOURS_ONLY = Defect(
    "designated-authority-requests-office-hours-only", ("R-10", "R-68"),
    "Requests of foreign designated authorities go to the day desk: received at night, at a weekend or on "
    "a holiday they wait for the office to open, so an urgent one misses its 8 hours.")
URGENT_DESIGNATED_REQUESTS_VIA_INTERPOL = Defect(
    "urgent-designated-requests-via-interpol", ("R-54", "R-55"),
    "An urgent request of a domestic designated authority goes through the Interpol NCB for speed, with "
    "no Art 13(2) ground (SIENA would have served).")
REFUSAL_IN_ENGLISH = Defect(
    "refusal-in-english", ("R-26",),
    "Refusals come from an English-only template: every refusal is written in English whatever the "
    "language of the request (replies, clarification requests and delay notices are not affected).")
ONLY_OPEN_CASES_CONCLUDE = Defect(
    "only-open-cases-conclude", ("R-91",),
    "Only a case in status OPEN is concluded when its last item is answered: one whose last items the "
    "court decided keeps waiting for the court, with no conclusion and no Art 16(4) retention review.")
SUBJECTLESS_REQUESTS_NEVER_QUEUED = Defect(
    "subjectless-requests-never-queued", ("R-12",),
    "The work queue is keyed by the data subject: a request naming no person or object (an event, a "
    "telephone number in its text) is recorded but never decided, so it is never answered.")
INTERPOL_DROPS_OWN_STATE_COPIES = Defect(
    "interpol-drops-own-state-copies", ("R-03",),
    "On Interpol I-24/7 the gateway addresses NCBs only: a designated authority's request that travels there "
    "(a third country involved) reaches no copy to its own SPOC, and nothing of the copy is recorded.")
SIRENE_REQUESTS_FILED_AS_SIRENE_BUSINESS = Defect(
    "sirene-requests-filed-as-sirene-business", ("R-10",),
    "The SIRENE connector files every form as SIS business (hits, flags): an urgent request that arrives as "
    "a SIRENE E form (Art 13(2)(b)) is recorded as a message but never opened as a request, nor answered.")
CONTACTS_AND_INFORMANTS_AS_SUSPECTS = Defect(
    "contacts-and-informants-as-suspects", ("R-48",),
    "The personal-data filter knows suspects, witnesses and victims only: data on contacts and "
    "informants are provided in every category allowed for a suspect.")
# Defects in how received messages are tied to their exchange (mutation survivors of incoming.py).
CLARIFICATION_ANSWERED_WITHOUT_CONTENT = Defect(
    "clarification-answered-without-content", ("R-66",),
    "A requested SPOC's request for clarification of one of the state's own requests is answered with a form "
    "letter pointing to 'the amended request', but nothing is attached: the question stays unanswered.")
ANSWERS_FILED_BY_REFERENCE_ONLY = Defect(
    "answers-filed-by-reference-only", ("R-81",),
    "Answers to the state's own requests are filed by the case reference they quote, never by the channel thread "
    "they answer: a reply quoting the requested SPOC's own reference opens a case of its own, and the request's "
    "case never records it.")
COPY_READ_FIRST_FILES_REQUEST_AS_COPY = Defect(
    "copy-read-first-files-request-as-copy", ("R-12", "R-97"),
    "The SPOC's inbox holds copies: a direct request to a domestic competent authority whose copy to the SPOC is "
    "read before the authority's own delivery is filed as a copy, and the authority's delivery then finds the "
    "message already on file, so the request is never opened or answered.")
OWN_REQUESTS_LEFT_OPEN_WHEN_ANSWERED = Defect(
    "own-requests-left-open-when-answered", ("R-91",),
    "An answer to one of the state's own requests is filed in the request's case as correspondence only: the "
    "case keeps AWAITING_REPLY with no outcome and no conclusion, so no Art 16(4) retention review runs from "
    "the end of the exchange.")
SEPARATE_COPIES_FILED_APART = Defect(
    "separate-copies-filed-apart", ("R-81",),
    "A copy that arrives as a message of its own (kind COPY) is attached to an exchange only by the thread or "
    "reference it quotes, never by the message it names as copied: a requested SPOC's Art 5(3) copy quoting its "
    "own reference opens a COPY case of its own, apart from the request's case.")
ANSWER_TIMER_IGNORES_JUDICIAL_WAIT = Defect(
    "answer-timer-ignores-judicial-wait", ("R-82",),
    "The answer timer starts for every request, also one whose items all wait for the court: when it runs out on "
    "a request the operator handed over to a domestic authority meanwhile, the case records the authority's "
    "answer as returned, although the court has not decided.")
COURT_GRANT_TAKEN_AS_NOT_NEEDED = Defect(
    "court-grant-taken-as-not-needed", ("R-15",),
    "A record whose judicial authorisation the court will grant is handled as needing none: the information is "
    "provided at the ordinary processing time, with no delay notice and before the court has decided.")
COURT_REFUSAL_OUTWEIGHED_BY_GRANT = Defect(
    "court-refusal-outweighed-by-grant", ("R-15",),
    "An item held in several records, for one of which the court grants the judicial authorisation and for "
    "another refuses it, is provided whole once the grant comes: the refused data are disclosed instead of the "
    "item being refused (JR).")
ANSWER_COPY_PROCESSED_AGAIN = Defect(
    "answer-copy-processed-again", ("R-91",),
    "An answer to a domestic designated authority's own request reaches the authority and, in copy, the SPOC "
    "(Art 5(3) §2); the SPOC's delivery is processed as an answer of its own instead of being recorded with "
    "the first: each reply or refusal is applied twice, so a request answered in part ends refused, or replied.")
ANSWERS_FILED_BY_THREAD_ONLY = Defect(
    "answers-filed-by-thread-only", ("R-81", "R-91"),
    "An answer to one of the state's own requests is matched to its case only by the channel thread: one sent "
    "as a new message quoting the case reference is kept apart as other, and the request's case never ends.")
EUROPOL_COPY_RESTRICTION_DEFAULTED = Defect(
    "europol-copy-restriction-defaulted", ("R-53",),
    "A message copied to Europol states the CMS's generic handling code as its restriction on use, instead of "
    "the restriction the sender set on the exchange.")
DOMESTIC_DISCLOSURES_LOGGED_AS_COLLECTIONS = Defect(
    "domestic-disclosures-logged-as-collections", ("R-88",),
    "The audit log reads a communication with a domestic authority the wrong way round: a request handed over "
    "to the competent authority (Art 14(2)(b)) is logged as collected, with no recipient, and the authority's "
    "answer as disclosed to the SPOC, so the log never shows to whom the request's personal data went.")

# An outside tester's set (benchmarks/outside-defects.md): realistic mistakes written without reading the checks.
DESIGNATED_URGENT_REQUEST_WITHOUT_REASONS = Defect(
    "designated-urgent-request-without-reasons", ("R-06",),
    "A designated authority's request form has the urgency box but no reasons field: its urgent requests go "
    "flagged urgent with no reasons why, whatever criteria the authority ticked.")
URGENT_INDIRECT_WAITS_FOR_WORKING_DAY = Defect(
    "urgent-indirect-waits-for-working-day", ("R-11", "R-68"),
    "Indirectly available information is asked of the public authorities that hold it on their working days: an "
    "urgent request received on a weekend or public holiday is worked from the next working morning, so over a "
    "long holiday weekend the 3-day limit passes.")
DELAY_UPDATES_STOP_AT_ESTIMATE = Defect(
    "delay-updates-stop-at-estimate", ("R-15",),
    "The requester is updated on the judicial delay only until the court's first estimate: once the court is late, "
    "the case waits silently for its decision.")
DESIGNATED_REPLY_COPY_BATCHED = Defect(
    "designated-reply-copy-batched", ("R-17",),
    "The Art 5(3) copy of a reply to a foreign designated authority goes to that state's SPOC with the outbound "
    "copy batch, 15 minutes after the reply instead of at the same time.")
DELAY_NOTICE_IN_OWN_LANGUAGE = Defect(
    "delay-notice-in-own-language", ("R-26",),
    "The Art 5(2) delay-notice template exists only in the state's own first language: a request made in another "
    "language of the list gets its delay notices in the national language.")
THIRD_COUNTRY_CONSENT_NOT_CHECKED = Defect(
    "third-country-consent-not-checked", ("R-27",),
    "The originator-consent check knows only the member states: information obtained from a third country is "
    "provided without its consent (Art 6(1)(h)).")
AUTHORITY_TO_AUTHORITY_OWN_INITIATIVE_ONE_COPY = Defect(
    "authority-to-authority-own-initiative-one-copy", ("R-33",),
    "Own-initiative information of the competent authority to a foreign competent authority is copied to the "
    "state's own SPOC only: the copy to the other state's SPOC (Art 7(3)) falls in the branch not taken.")
OWN_INITIATIVE_UNKNOWN_CATEGORY_UNFILTERED = Defect(
    "own-initiative-unknown-category-unfiltered", ("R-48",),
    "Own-initiative information is filtered by the Art 10(b) categories only when the data subject's category is "
    "given: information on a person of unknown category goes with every category entered.")
EUROPOL_COPY_DROPPED_ON_FALLBACK = Defect(
    "europol-copy-dropped-on-fallback", ("R-52",),
    "A message that falls back to Interpol during a SIENA outage loses its Europol copy: the decision to copy is "
    "recorded, but the copy is never sent once SIENA is back.")
FALLBACK_CHANNEL_KEPT_AFTER_OUTAGE = Defect(
    "fallback-channel-kept-after-outage", ("R-55",),
    "Once a message of a case fell back to Interpol in a SIENA outage, the case keeps that channel: its later "
    "messages go on Interpol with the incident exception although SIENA is available again.")
DISCLOSURE_AUDITS_MAIN_ADDRESSEE = Defect(
    "disclosure-audits-main-addressee", ("R-88",),
    "The audit log's DISCLOSURE entry names only the message's addressee in To: the copies in CC (SPOCs, Europol) "
    "are disclosed without a log entry naming them.")
PARTIAL_REPLIES_NOT_COUNTED_AS_REPLIED = Defect(
    "partial-replies-not-counted-as-replied", ("R-97",),
    "The Art 18(2)(b) count of requests replied to takes the cases concluded as REPLIED only: a request answered "
    "in part and refused in part is counted as refused, not as replied to.")

SECOND_HAND_OVER_DROPPED = Defect(
    "second-hand-over-dropped", ("R-81", "R-11"),
    "The CMS keeps the request waiting for another authority's information (indirectly available, Art 2(7)) "
    "in one slot: a second such request, received while the first still waits, is acknowledged to the channel "
    "and dropped, with no case and no answer: a few requests of a campaign, most of them under load.")


_ALL: tuple[Defect, ...] = (
    LATE_URGENT_REPLY,
    DEADLINE_FROM_FIRST_VIEW,
    CLARIFICATION_RESTARTS_CLOCK,
    REFUSAL_WITHOUT_GROUND,
    REFUSAL_OF_INDIRECT_INFORMATION,
    REPLY_IN_OWN_LANGUAGE,
    ENGLISH_NOT_ACCEPTED,
    NO_SPOC_COPY_FOR_DESIGNATED_REQUEST,
    LATE_COPY,
    NON_SIENA_WITHOUT_EXCEPTION,
    NO_FALLBACK_ON_SIENA_OUTAGE,
    DUPLICATE_DELIVERY_OPENS_SECOND_CASE,
    REFUSED_COUNTED_AS_REPLIED,
    STATISTICS_WITHOUT_STATE_BREAKDOWN,
    AUDIT_WITHOUT_CONSULTATIONS,
    NO_DELAY_NOTICE_FOR_JUDICIAL,
    PARTIAL_REFUSAL_REFUSES_ALL,
    NO_EUROPOL_DECISION,
    PERSONAL_DATA_OUTSIDE_CATEGORIES,
    IGNORES_HARNESS_CLOCK,
    NO_RELIABILITY_ELEMENTS,
    NO_CROSS_CHECK,
    LATE_RETENTION_REVIEW,
    REFUSES_INSTEAD_OF_CLARIFYING,
    NO_COPY_TO_FOREIGN_SPOC_FOR_DIRECT_REQUEST,
    OWN_INITIATIVE_IN_OWN_LANGUAGE,
    REKEYED_MESSAGE_IDS,
    EUROPOL_COPY_WITHOUT_PURPOSES,
    DISCLOSURE_WITHOUT_RECIPIENT,
    COPIES_COUNTED_AS_REQUESTS,
    ORIGINATOR_CONSENT_NOT_CHECKED,
    OWN_INITIATIVE_NOT_RECORDED,
    SERIOUS_OWN_INITIATIVE_HELD_FOR_APPROVAL,
    NO_SPOC_COPY_FOR_AUTHORITY_OWN_INITIATIVE,
    NO_SPOC_COPY_FOR_AUTHORITY_REPLY,
    COPIES_WITHHELD_FOR_RESTRICTED_HANDLING,
    JUDICIAL_APPLICATION_NEXT_WORKING_DAY,
    OUT_OF_DATE_DATA_PROVIDED,
    REQUEST_IN_OWN_LANGUAGE,
    REQUEST_WITHOUT_SUBJECT_LINK,
    NO_NECESSITY_STATEMENT,
    URGENCY_NOT_FLAGGED_ON_SIENA,
    DEADLINE_IN_WORKING_DAYS,
    OFFICE_HOURS_ONLY,
    COPY_EXCEPTION_NOT_RECORDED,
    HAND_OVER_OUTSIDE_CMS,
    PARTIAL_REFUSAL_NOT_SENT,
    CLARIFICATION_REQUEST_NOT_ANSWERED,
    NCB_EXCHANGES_OUTSIDE_CMS,
    AUTHORITY_REPLY_OUTSIDE_CMS,
    STATISTICS_COMPILED_BY_HAND,
    AUTOMATED_PROCESSING_WITHOUT_ACTOR,
    RETENTION_REVIEW_WITHOUT_ERASURE,
    ERASURE_LEAVES_TRACES,
    STATISTICS_LAST_TWELVE_MONTHS,
    STATISTICS_IGNORE_COMPETENT_AUTHORITIES,
    SUBJECT_CATEGORY_FROM_REQUEST,
    LAST_UPDATED_FROM_IMPORT,
    AUDIT_WITHOUT_ALTERATIONS,
    NO_DELAY_UPDATES,
    COPY_EXCEPTION_DEFAULTED,
    FALLBACK_LABELLED_THIRD_COUNTRY,
    URGENT_DESIGNATED_REQUEST_WITHOUT_SPOC_COPY,
    URGENT_DESIGNATED_REPLY_WITHOUT_COPY,
    URGENT_AUTHORITY_REPLY_WITHOUT_SPOC_COPY,
    URGENT_REQUEST_SKIPS_CONSENT_CHECK,
    DESIGNATED_AUTHORITY_REQUESTS_OFFICE_HOURS_ONLY,
    URGENT_DESIGNATED_REQUESTS_VIA_INTERPOL,
    REFUSAL_IN_ENGLISH,
    ONLY_OPEN_CASES_CONCLUDE,
    SUBJECTLESS_REQUESTS_NEVER_QUEUED,
    INTERPOL_DROPS_OWN_STATE_COPIES,
    SIRENE_REQUESTS_FILED_AS_SIRENE_BUSINESS,
    CONTACTS_AND_INFORMANTS_AS_SUSPECTS,
    CLARIFICATION_ANSWERED_WITHOUT_CONTENT,
    ANSWERS_FILED_BY_REFERENCE_ONLY,
    COPY_READ_FIRST_FILES_REQUEST_AS_COPY,
    COURT_GRANT_TAKEN_AS_NOT_NEEDED,
    OWN_REQUESTS_LEFT_OPEN_WHEN_ANSWERED,
    SEPARATE_COPIES_FILED_APART,
    COURT_REFUSAL_OUTWEIGHED_BY_GRANT,
    ANSWER_TIMER_IGNORES_JUDICIAL_WAIT,
    LANGUAGE_READ_FROM_MESSAGE_NOT_REQUEST,
    ANSWER_COPY_PROCESSED_AGAIN,
    DESIGNATED_URGENT_REQUEST_WITHOUT_REASONS,
    URGENT_INDIRECT_WAITS_FOR_WORKING_DAY,
    DELAY_UPDATES_STOP_AT_ESTIMATE,
    DESIGNATED_REPLY_COPY_BATCHED,
    DELAY_NOTICE_IN_OWN_LANGUAGE,
    THIRD_COUNTRY_CONSENT_NOT_CHECKED,
    AUTHORITY_TO_AUTHORITY_OWN_INITIATIVE_ONE_COPY,
    OWN_INITIATIVE_UNKNOWN_CATEGORY_UNFILTERED,
    EUROPOL_COPY_DROPPED_ON_FALLBACK,
    FALLBACK_CHANNEL_KEPT_AFTER_OUTAGE,
    DISCLOSURE_AUDITS_MAIN_ADDRESSEE,
    PARTIAL_REPLIES_NOT_COUNTED_AS_REPLIED,
    DOMESTIC_DISCLOSURES_LOGGED_AS_COLLECTIONS,
    ANSWERS_FILED_BY_THREAD_ONLY,
    EUROPOL_COPY_RESTRICTION_DEFAULTED,
    SECOND_HAND_OVER_DROPPED,
)

DEFECTS: dict[str, Defect] = {d.name: d for d in _ALL}


class ActiveDefects:
    """The defects switched on for one CMS; asking for an unknown name is a programming error."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        chosen = list(dict.fromkeys(names))
        unknown = [n for n in chosen if n not in DEFECTS]
        if unknown:
            raise UnknownDefectError(
                f"unknown defect(s) {', '.join(unknown)}: run `spoc-harness defects` for the list"
            )
        self._names = frozenset(chosen)
        self._ordered = tuple(chosen)

    def active(self, defect: Defect) -> bool:
        """Whether `defect` (one of this module's constants, so a misspelt name fails on import) is on."""
        if DEFECTS.get(defect.name) is not defect:
            raise UnknownDefectError(f"{defect.name!r} is not a defect of the registry")
        return defect.name in self._names

    @property
    def names(self) -> tuple[str, ...]:
        return self._ordered

    def __bool__(self) -> bool:
        return bool(self._names)
