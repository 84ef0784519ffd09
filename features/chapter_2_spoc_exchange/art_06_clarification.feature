@chapter-2
Feature: Article 6(3) - Requests for clarification and the suspension of the time limits
  Where clarifications or specifications are needed to process a request that would otherwise have
  to be refused, the requested SPOC asks the requesting SPOC for them immediately. The time limits
  of Article 5(1) are suspended from the moment the requesting SPOC receives the request for
  clarification until the moment the requested SPOC receives the clarification.

  Which events start and end the suspension (Article 6(3), second subparagraph) has not been
  verified against the Official Journal; it is the project's working reading, and the report marks
  every verdict that rests on it.

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOCs of the other Member States

  @R-24 @art-6-3-sub1 @R-65 @art-14-2-e
  Scenario: An incomplete request leads to a request for clarification, not to a refusal
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    And the request omits the objective reasons to believe that the information is available, which Article 4(5)(c) requires
    When the requested SPOC receives a request marked urgent for that information on a Saturday morning, at 2026-03-28 09:00 CET
    Then the requested SPOC immediately asks the requesting SPOC for clarification
    And it does not refuse the request for the missing element, as its task under Article 14(2)(e) is to clarify where needed

  @R-25 @art-6-3-sub2 @R-10 @art-5-1-a @unverified-reading
  Scenario: The time limit is suspended while the requesting SPOC prepares the clarification
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    And the request omits the objective reasons to believe that the information is available, which Article 4(5)(c) requires
    When the requested SPOC receives a request marked urgent for that information on a Saturday morning, at 2026-03-28 09:00 CET
    And the requesting SPOC sends the clarification two days after it received the request for clarification
    Then the case management system suspends the 8-hour time limit from the request for clarification until the clarification
    And the requested SPOC provides the information within 8 hours of receipt, not counting the suspension
