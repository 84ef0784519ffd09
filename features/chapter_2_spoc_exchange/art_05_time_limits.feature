@chapter-2
Feature: Article 5(1) - Time limits for providing information on request
  The requested SPOC provides the information as soon as possible and at the latest within:
    - 8 hours for an urgent request for directly available information (Article 5(1)(a));
    - 3 calendar days for an urgent request for indirectly available information (Article 5(1)(b));
    - 7 calendar days for all other requests (Article 5(1)(c)).
  The time limits start as soon as the request is received (Article 5(1), second subparagraph).
  The moment of receipt is the moment the channel delivers the request to the requested SPOC.
  There is no relief for nights, weekends or public holidays: the SPOC works 24 hours a day,
  7 days a week (Article 14(3)(a)(ii)). A refusal with reasons also ends the exchange in time.

  Calendar days are counted here as elapsed time from the moment of receipt (3 calendar days =
  72 hours, 7 calendar days = 168 hours), so a limit that spans a change of summer time ends one
  hour earlier or later on the wall clock. The Directive does not say how calendar days are
  counted; the alternative reading (Regulation No 1182/71: the day of receipt is not counted) can
  be selected for a run and the report then says so.

  Times are Vienna local time: the reference Member State under test is Austria.

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOC of another Member State

  @R-13 @art-5-1-sub2 @R-85 @art-16-1-e
  Scenario Outline: The requested SPOC answers within the time limit that applies to the request
    Given the national databases of the requested Member State hold <availability> information on the subject of the request
    When the requested SPOC receives a request marked <urgency> for that information on <moment>, at <received>
    Then the time limit is <limit>, ending <hours> hours after the moment of receipt
    And the information is due at the latest at <due>
    And the case management system of the requested SPOC tracks the same due moment
    And the requested SPOC provides the information, or refuses it with reasons, before it is due

    @R-10 @art-5-1-a @R-68 @art-14-3-a-ii
    Examples: Urgent requests for directly available information
      | urgency | availability       | moment                          | received              | limit   | hours | due                   |
      | urgent  | directly available | a weekday afternoon             | 2026-03-03 14:00 CET  | 8 hours | 8     | 2026-03-03 22:00 CET  |
      | urgent  | directly available | a weekday night                 | 2026-03-04 23:30 CET  | 8 hours | 8     | 2026-03-05 07:30 CET  |
      | urgent  | directly available | a Saturday night                | 2026-03-07 22:00 CET  | 8 hours | 8     | 2026-03-08 06:00 CET  |
      | urgent  | directly available | Christmas Day, a public holiday | 2026-12-25 09:00 CET  | 8 hours | 8     | 2026-12-25 17:00 CET  |
      | urgent  | directly available | the night summer time begins    | 2026-03-29 00:30 CET  | 8 hours | 8     | 2026-03-29 09:30 CEST |
      | urgent  | directly available | the night summer time ends      | 2026-10-25 01:30 CEST | 8 hours | 8     | 2026-10-25 08:30 CET  |

    @R-11 @art-5-1-b @R-68 @art-14-3-a-ii
    Examples: Urgent requests for indirectly available information
      | urgency | availability         | moment                                  | received              | limit           | hours | due                   |
      | urgent  | indirectly available | a Friday evening before a weekend       | 2026-03-06 18:00 CET  | 3 calendar days | 72    | 2026-03-09 18:00 CET  |
      | urgent  | indirectly available | Holy Saturday, before Easter Monday     | 2026-04-04 10:00 CEST | 3 calendar days | 72    | 2026-04-07 10:00 CEST |
      | urgent  | indirectly available | Assumption Day, a public holiday, night | 2026-08-15 03:00 CEST | 3 calendar days | 72    | 2026-08-18 03:00 CEST |
      | urgent  | indirectly available | New Year's Eve                          | 2026-12-31 20:00 CET  | 3 calendar days | 72    | 2027-01-03 20:00 CET  |

    @R-12 @art-5-1-c
    Examples: All other requests
      | urgency    | availability         | moment                             | received              | limit           | hours | due                   |
      | non-urgent | directly available   | a Monday morning                   | 2026-03-02 09:00 CET  | 7 calendar days | 168   | 2026-03-09 09:00 CET  |
      | non-urgent | indirectly available | a Sunday                           | 2026-05-03 11:15 CEST | 7 calendar days | 168   | 2026-05-10 11:15 CEST |
      | non-urgent | directly available   | National Day, a public holiday     | 2026-10-26 08:00 CET  | 7 calendar days | 168   | 2026-11-02 08:00 CET  |
      | non-urgent | indirectly available | a week in which summer time begins | 2026-03-25 12:00 CET  | 7 calendar days | 168   | 2026-04-01 13:00 CEST |
      | non-urgent | directly available   | a week in which summer time ends   | 2026-10-22 12:00 CEST | 7 calendar days | 168   | 2026-10-29 11:00 CET  |

  @R-13 @art-5-1-sub2
  Scenario: The time limit runs from the moment of receipt, not from the first handling by an operator
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    When the requested SPOC receives a request marked urgent for that information on a weekday night, at 2026-03-04 23:30 CET
    Then the case management system of the requested SPOC records the moment the channel delivered the request as the moment of receipt
    And the case management system of the requested SPOC tracks the same due moment
