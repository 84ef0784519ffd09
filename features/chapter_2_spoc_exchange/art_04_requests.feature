@chapter-2
Feature: Article 4 - Requests for information sent to the Single Points of Contact of other Member States
  The SPOC of the Member State under test, and its designated law enforcement authorities, send
  requests for information to the SPOCs of other Member States. A request says whether it is
  urgent and, if so, why (Article 4(4)); it contains at least the elements of Article 4(5); it is
  written in a language the requested Member State notified under Article 11 (Article 4(6)); and
  where a designated law enforcement authority sends it, a copy goes at the same time to the SPOC
  of its own Member State (Article 4(1), third subparagraph).

  The harness tells the system under test, through the SUT test interface, to send requests to the
  SPOCs of Germany, France, the Netherlands and Poland, plays those SPOCs, and inspects every
  request it receives.

  Background:
    Given the SPOC of the Member State under test is the requesting SPOC
    And the harness plays the requested SPOCs of the other Member States

  @R-01 @art-4-1-sub1 @R-07 @art-4-5 @unverified-reading
  Scenario: Every request contains the minimum content required by Article 4(5)
    When the SPOC under test sends its requests for information to the SPOCs of other Member States
    Then each request specifies the information requested, the purpose with the facts and the underlying offence, the objective reasons to believe the information is available, and the restrictions on its use
    And each request meets the requirements of Article 4(2) to 4(6)

  @R-06 @art-4-4
  Scenario: An urgent request states that it is urgent and why
    When the SPOC under test sends an urgent request for information to the SPOC of France
    Then the request is marked urgent and gives an urgency criterion of Article 4(4) with the reasons

  @R-08 @art-4-6
  Scenario: Every request is written in a language the requested Member State notified
    When the SPOC under test sends its requests for information to the SPOCs of other Member States
    Then each request is written in one of the languages the requested Member State notified under Article 11

  @R-03 @art-4-1-sub3
  Scenario: A designated law enforcement authority copies its own SPOC when it sends a request
    When a designated law enforcement authority of the Member State under test sends a request to the SPOC of the Netherlands
    Then a copy of the request reaches the SPOC under test at the same time
