@chapter-3
Feature: Article 8 - Exchanges of information directly between competent law enforcement authorities
  Where the SPOC sends a request directly to a competent law enforcement authority of another
  Member State, it sends a copy at the same time to the SPOC of that Member State (Article 8(1)).
  Where a competent law enforcement authority of the Member State under test sends a request
  directly to, or provides information directly to, a law enforcement authority of another Member
  State, it sends a copy at the same time both to its own SPOC and to the SPOC of the other Member
  State (Article 8(2)). A copy may be omitted only where it would jeopardise a highly sensitive
  investigation, a terrorism case not involving an emergency, or the safety of a person
  (Article 8(3)); the omission and its ground are then recorded.

  Background:
    Given the harness plays the SPOC and a competent law enforcement authority of another Member State

  @R-40 @art-8-1-s1
  Scenario: A request of the SPOC under test to a foreign competent authority is copied to that Member State's SPOC
    When the SPOC under test sends a request directly to the competent law enforcement authority of the other Member State
    Then the competent law enforcement authority receives the request
    And a copy of the request reaches the SPOC of the other Member State at the same time

  @R-41 @art-8-1-s2
  Scenario: Information provided by a domestic competent authority in reply is copied to the SPOC under test
    Given the SPOC under test has sent a request directly to the competent law enforcement authority of the other Member State
    When a competent law enforcement authority of the Member State under test provides information in reply to a request of the other Member State
    Then a copy of the information reaches the SPOC under test at the same time
    And the case management system of the SPOC under test records the copy

  @R-42 @art-8-2
  Scenario Outline: A direct exchange by a domestic competent authority is copied to both SPOCs
    When a competent law enforcement authority of the Member State under test <exchange> a law enforcement authority of the other Member State
    Then a copy of the <message> reaches the SPOC under test at the same time
    And a copy of the <message> reaches the SPOC of the other Member State at the same time

    Examples:
      | exchange                         | message     |
      | sends a request directly to      | request     |
      | provides information directly to | information |

  @R-43 @art-8-3
  Scenario: A copy omitted to protect a sensitive investigation is recorded with its ground
    When a competent law enforcement authority of the Member State under test sends a request directly to a law enforcement authority of the other Member State without a copy, to protect a highly sensitive investigation
    Then the case management system of the SPOC under test records the exchange with the ground for omitting the copy
