@chapter-4
Feature: Article 12 - Communication of information to Europol
  Whenever the SPOC sends a request, provides information on request or provides it on its own
  initiative, its staff assess case by case whether a copy to Europol is necessary (Article 12(1)).
  A copy to Europol states the purposes of processing and any restrictions (Article 12(2)).

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOC of another Member State and Europol

  @R-52 @art-12-1 @unverified-reading
  Scenario: The decision on a copy to Europol is recorded for each exchange
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    When the requested SPOC receives a request marked non-urgent for that information
    And the requested SPOC provides the information
    Then the case management system of the requested SPOC records whether a copy was sent to Europol

  @R-53 @art-12-2 @unverified-reading
  Scenario: A copy to Europol states the purposes of processing and the restrictions
    When the SPOC under test sends a copy of an exchange to Europol
    Then the copy received by Europol states the purposes of processing and any restrictions on use
