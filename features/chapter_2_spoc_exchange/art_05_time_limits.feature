@chapter-2
Feature: Article 5(1) - Time limits for providing information on request
  The requested SPOC provides the information as soon as possible and at the latest within:
    - 8 hours for an urgent request for directly available information (Article 5(1)(a));
    - 3 calendar days for an urgent request for indirectly available information (Article 5(1)(b));
    - 7 calendar days for all other requests (Article 5(1)(c)).
  The time limits start as soon as the request is received (Article 5(1), second subparagraph):
  the moment the channel delivers the request to the requested SPOC, not the moment an operator
  first opens it. There is no relief for nights, weekends or public holidays: the SPOC performs its
  tasks 24 hours a day, 7 days a week (Article 14(3)(a)(ii)). A refusal with reasons given within
  the limit also answers the request in time (Article 6(2)).

  Calendar days are counted here as elapsed time from the moment of receipt (3 calendar days =
  72 hours, 7 calendar days = 168 hours), so a limit that spans the start of summer time ends one
  hour later on the wall clock. The Directive does not say how calendar days are counted; the
  alternative reading (Regulation No 1182/71: the day of receipt is not counted) can be chosen for
  a run with -D deadline_reading=reg1182, and the report then says so.

  Times are local times of Austria, the Member State of the reference CMS: 29 March 2026 is the
  night summer time begins, 3 April 2026 is Good Friday and 6 April 2026 Easter Monday.

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOCs of the other Member States

  @R-68 @art-14-3-a-ii @R-85 @art-16-1-e
  Scenario Outline: The requested SPOC answers within the time limit, at night, at weekends and on public holidays
    Given the national databases of the requested Member State hold <availability> information on the subject of the request
    When the requested SPOC receives a request marked <urgency> for that information on <moment>, at <received>
    Then the time limit is <limit>, ending <hours> hours after the moment of receipt
    And the information is due at the latest at <due>
    And the requested SPOC provides the information, or refuses it with reasons, before it is due
    And it does so although the request arrived outside office hours, as the SPOC works 24 hours a day, 7 days a week
    And the case management system of the requested SPOC tracks the time limit of the request

    @R-10 @art-5-1-a
    Examples: Urgent requests for directly available information
      | urgency | availability       | moment                              | received             | limit   | hours | due                   |
      | urgent  | directly available | a Friday night                      | 2026-03-27 23:30 CET | 8 hours | 8     | 2026-03-28 07:30 CET  |
      | urgent  | directly available | the Sunday night summer time begins | 2026-03-29 01:30 CET | 8 hours | 8     | 2026-03-29 10:30 CEST |

    @R-11 @art-5-1-b
    Examples: Urgent requests for indirectly available information
      | urgency | availability         | moment                        | received              | limit           | hours | due                   |
      | urgent  | indirectly available | Good Friday, a public holiday | 2026-04-03 11:00 CEST | 3 calendar days | 72    | 2026-04-06 11:00 CEST |

    @R-12 @art-5-1-c
    Examples: All other requests
      | urgency    | availability         | moment                          | received              | limit           | hours | due                   |
      | non-urgent | directly available   | a Saturday afternoon            | 2026-03-28 15:00 CET  | 7 calendar days | 168   | 2026-04-04 16:00 CEST |
      | non-urgent | indirectly available | Easter Monday, a public holiday | 2026-04-06 09:00 CEST | 7 calendar days | 168   | 2026-04-13 09:00 CEST |

  @R-13 @art-5-1-sub2
  Scenario: The time limit runs from the moment of receipt, not from the first handling by an operator
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    When the requested SPOC receives a request marked urgent for that information on a Friday night, at 2026-03-27 23:30 CET
    Then the case management system records as the moment of receipt the moment the channel delivered the request, and counts the time limit from it
