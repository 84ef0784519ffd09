@chapter-4
Feature: Article 9 - Judicial authorisation
  Where the national law of the requested Member State requires a judicial authorisation to
  provide information, the SPOC takes all necessary steps to obtain it as soon as possible
  (Article 9(2) and (3)). Seen from outside, this means the requesting SPOC is told of the delay
  at once and the information follows soon after the authorisation; if the authorisation is
  refused, the request is refused on ground JR, Article 6(1) point (c).

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOC of another Member State

  @R-46 @art-9-2-to-3 @unverified-reading
  Scenario Outline: The SPOC seeks the judicial authorisation at once and acts on the decision
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    And its national law requires a judicial authorisation to provide that information
    When the requested SPOC receives a request marked urgent for that information
    Then the requesting SPOC is informed of the expected delay, with its length and its reasons, before the 8 hours expire
    When the judicial authorisation is <decision>
    Then the requested SPOC <outcome>

    Examples:
      | decision | outcome                                                              |
      | granted  | provides the information as soon as possible after the authorisation |
      | refused  | refuses the request on ground JR, Article 6(1) point (c)             |
