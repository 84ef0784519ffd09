@chapter-4
Feature: Article 12 - Communication of information to Europol
  Whenever the SPOC sends a request, provides information on request or provides it on its own
  initiative, its staff assess case by case whether a copy to Europol is necessary (Article 12(1)).
  A copy to Europol states the purposes of processing and any restrictions (Article 12(2)).

  Background:
    Given the harness plays the SPOCs of the other Member States and Europol

  @R-52 @art-12-1 @unverified-reading
  Scenario: The decision on a copy to Europol is recorded for each exchange
    When the campaign's exchanges with the SPOC under test have taken place
    Then the case management system records for each exchange whether a copy goes to Europol, and a decided copy is sent

  @R-53 @art-12-2 @unverified-reading
  Scenario: A copy to Europol states the purposes of processing and the restrictions on use
    When the SPOC under test provides information on a serious criminal offence on its own initiative to the SPOC of France
    Then every copy the SPOC under test sends to Europol states the purposes of processing and the restrictions on use
