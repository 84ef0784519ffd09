@chapter-5
Feature: Article 14 - Tasks and capabilities of the Single Point of Contact
  The SPOC receives and evaluates requests in the languages it notified (Article 14(2)(a)), channels
  them to the competent law enforcement authorities (Article 14(2)(b)), provides information on
  request and on its own initiative (Article 14(2)(d)), refuses requests and asks for clarification
  (Article 14(2)(e)), sends requests to other SPOCs and provides clarifications when asked (Article
  14(2)(f)), and performs its tasks 24 hours a day, 7 days a week (Article 14(3)(a)(ii)).

  @R-61 @art-14-2-a
  Scenario Outline: Requests in every language the Member State notified are received and evaluated
    Given the SPOC of the Member State under test is the requested SPOC
    And the national databases of the requested Member State hold directly available information on the subject of the request
    When the requested SPOC receives requests for that information written in <language>
    Then the requested SPOC evaluates and answers each of them, refusing none as not meeting Article 4

    Examples: Languages notified by Austria
      | language |
      | English  |
      | German   |

  @R-64 @art-14-2-d
  Scenario: The SPOC provides on request the information its national databases hold
    Given the SPOC of the Member State under test is the requested SPOC
    When the requesting SPOCs have sent all the campaign's requests to the requested SPOC
    Then every item of information the national databases hold, and no ground of refusal withholds, is provided

  @R-68 @art-14-3-a-ii
  Scenario: Requests received at night, at weekends and on public holidays are answered within their time limits
    Given the SPOC of the Member State under test is the requested SPOC
    When the requested SPOC receives requests at night, at weekends and on public holidays
    Then each of them is answered within its time limit, as the SPOC works 24 hours a day, 7 days a week

  @R-62 @art-14-2-b
  Scenario: A request for information held by a domestic authority is channelled to it
    Given the SPOC of the Member State under test is the requested SPOC
    And the information on the subject of the request is held by a competent law enforcement authority of the Member State under test
    When the requested SPOC receives a request marked non-urgent for that information on Easter Monday, at 2026-04-06 09:00 CEST
    Then the requested SPOC channels the request to that authority, records the hand-over and its answer, and provides the information

  @R-66 @art-14-2-f
  Scenario: The SPOC under test provides clarifications when the requested SPOC asks for them
    Given the SPOC of the Member State under test is the requesting SPOC
    When the SPOC under test sends a request for information to the SPOC of Germany
    And the SPOC of Germany asks the SPOC under test for clarification of the offence and of the link between the purpose and the person
    Then the SPOC under test answers with a clarification of its request that gives the offence and the link it stated
