@chapter-2
Feature: Article 4 - Requests for information sent to the Single Points of Contact of other Member States
  The SPOC of the Member State under test, and its designated law enforcement authorities, send
  requests for information to the SPOCs of other Member States. Each request must say whether it
  is urgent and why, contain the minimum content of Article 4(5), be written in a language the
  requested Member State has notified under Article 11, and, where a designated law enforcement
  authority sends it, be copied at the same time to the SPOC of its own Member State.

  The harness plays the requested SPOC of another Member State and inspects every request it
  receives from the system under test.

  Background:
    Given the SPOC of the Member State under test is the requesting SPOC
    And the harness plays the requested SPOC of another Member State

  @R-01 @art-4-1-sub1 @R-07 @art-4-5 @unverified-reading
  Scenario: A request contains the minimum content required by Article 4(5)
    When the SPOC under test sends a non-urgent request for information to the requested SPOC
    Then the requested SPOC receives the request
    And the request specifies the information requested, the purpose with the facts and the underlying offence
    And the request states the objective reasons to believe that the information is available
    And the request states any restrictions on the use of the information it contains

  @R-06 @art-4-4
  Scenario: An urgent request states that it is urgent and why
    When the SPOC under test sends an urgent request for information to the requested SPOC
    Then the requested SPOC receives the request marked as urgent
    And the request names at least one urgency criterion of Article 4(4)
    And the request gives the reasons for the urgency

  @R-08 @art-4-6
  Scenario: A request is written in a language notified by the requested Member State
    Given the requested Member State has notified its languages under Article 11
    When the SPOC under test sends a non-urgent request for information to the requested SPOC
    Then the request is written in one of the languages notified by the requested Member State

  @R-03 @art-4-1-sub3
  Scenario: A designated law enforcement authority copies its own SPOC when it sends a request
    When a designated law enforcement authority of the Member State under test sends a request directly to the requested SPOC
    Then a copy of the request reaches the SPOC under test at the same time
    And the case management system of the SPOC under test records the copy
