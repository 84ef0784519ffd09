@chapter-2
Feature: Article 5(2) and 5(3) - Judicial authorisation, language of the information and copies
  Where the national law of the requested Member State requires a judicial authorisation, the
  requested SPOC may deviate from the Article 5(1) time limits only as far as necessary to obtain
  it. It then immediately informs the requesting SPOC of the expected delay, stating its length
  and the reasons, keeps it updated, and provides the information as soon as possible after the
  authorisation is obtained (Article 5(2)).

  The information is provided in the language in which the request was submitted (Article 5(3),
  first subparagraph). Where the requested SPOC answers a designated law enforcement authority of
  another Member State directly, it sends a copy of the information at the same time to the SPOC
  of that Member State (Article 5(3), second subparagraph).

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOCs of the other Member States

  @R-15 @art-5-2
  Scenario: The requested SPOC immediately announces the delay caused by a judicial authorisation
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    And its national law requires a judicial authorisation to provide that information
    When the requested SPOC receives a request marked non-urgent for that information on a Monday morning, at 2026-03-30 10:00 CEST
    Then the requested SPOC immediately informs the requesting SPOC of the expected delay, stating its length and its reasons
    And it keeps the requesting SPOC updated while the authorisation is pending
    When the court grants the judicial authorisation two days later
    Then the requested SPOC provides the information as soon as possible after the authorisation

  @R-16 @art-5-3-sub1
  Scenario Outline: The information is provided in the language of the request
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    When the requested SPOC receives requests for that information written in <language>
    Then the requested SPOC answers each of them in <language>

    Examples: Languages notified by Austria
      | language |
      | English  |
      | German   |

  @R-17 @art-5-3-sub2
  Scenario: A reply to a designated law enforcement authority is copied to the SPOC of its Member State
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    When a designated law enforcement authority of Germany sends a request for that information directly to the requested SPOC
    Then a copy of the information provided reaches the SPOC of Germany at the same time
