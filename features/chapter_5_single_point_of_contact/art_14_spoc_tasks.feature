@chapter-5
Feature: Article 14 - Tasks and capabilities of the Single Point of Contact
  The SPOC receives and evaluates requests in the languages it notified (Article 14(2)(a)),
  provides information on request and on its own initiative (Article 14(2)(d)), refuses requests
  and asks for clarification (Article 14(2)(e)), sends requests to other SPOCs and provides
  clarifications when asked (Article 14(2)(f)), and performs its tasks 24 hours a day, 7 days a
  week (Article 14(3)(a)(ii)).

  The Article 5(1) deadline matrix (nights, weekends, public holidays) is the main test of the
  24/7 duty; the scenario below adds a request received in the middle of a holiday night.

  @R-64 @art-14-2-d @R-68 @art-14-3-a-ii
  Scenario: An urgent request received on a public holiday night is answered within 8 hours
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOC of another Member State
    And the national databases of the requested Member State hold directly available information on the subject of the request
    When the requested SPOC receives a request marked urgent for that information on New Year's night, at 2027-01-01 02:00 CET
    Then the time limit is 8 hours, ending 8 hours after the moment of receipt
    And the requested SPOC provides the information, or refuses it with reasons, before it is due

  @R-66 @art-14-2-f
  Scenario: The SPOC under test provides clarifications when the requested SPOC asks for them
    Given the SPOC of the Member State under test is the requesting SPOC
    And the harness plays the requested SPOC of another Member State
    When the SPOC under test sends a non-urgent request for information to the requested SPOC
    And the requested SPOC asks the SPOC under test for clarification
    Then the SPOC under test sends the clarification to the requested SPOC
    And the clarification is written in the language of the original request
