@chapter-2
Feature: Article 6(3) - Requests for clarification and the suspension of the time limits
  Where clarifications or specifications are needed to process a request that would otherwise have
  to be refused, the requested SPOC asks the requesting SPOC for them immediately. The time limits
  of Article 5(1) are suspended from the moment the requesting SPOC receives the request for
  clarification until the moment the requested SPOC receives the clarification.

  This reading of Article 6(3), second subparagraph (which events start and end the suspension),
  has not been verified against the Official Journal; it is the project's working reading and the
  report marks every verdict that rests on it.

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOC of another Member State

  @R-24 @art-6-3-sub1 @R-65 @art-14-2-e
  Scenario: An incomplete request leads to a request for clarification, not to a refusal
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    And the request omits the objective reasons to believe that the information is available, required by Article 4(5)(c)
    When the requested SPOC receives a request marked urgent for that information
    Then the requested SPOC asks the requesting SPOC for clarification before it refuses anything
    And the request for clarification is sent immediately, well within the 8 hours

  @R-25 @art-6-3-sub2 @unverified-reading
  Scenario Outline: The time limit is suspended while the requesting SPOC prepares the clarification
    Given the national databases of the requested Member State hold <availability> information on the subject of the request
    And the request omits the objective reasons to believe that the information is available, required by Article 4(5)(c)
    When the requested SPOC receives a request marked <urgency> for that information
    And the requested SPOC asks for clarification
    And the requesting SPOC sends the clarification <answered after> after it received the request for clarification
    Then the time limit of <limit> is extended by the <answered after> of suspension
    And the requested SPOC provides the information, or refuses it with reasons, before the extended time limit expires

    Examples:
      | urgency    | availability         | limit           | answered after |
      | urgent     | directly available   | 8 hours         | 30 minutes     |
      | urgent     | directly available   | 8 hours         | 2 days         |
      | non-urgent | indirectly available | 7 calendar days | 2 days         |

  @R-26 @art-6-4 @unverified-reading
  Scenario: A request for clarification is written in the language of the original request
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    And the request omits the objective reasons to believe that the information is available, required by Article 4(5)(c)
    When the requested SPOC receives a request marked non-urgent for that information, written in English
    Then the requested SPOC asks the requesting SPOC for clarification before it refuses anything
    And the request for clarification is written in English
