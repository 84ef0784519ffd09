@chapter-4
Feature: Article 11 - Languages
  Each Member State keeps a list of the official languages of the Union in which its SPOC can
  provide information, and the list includes English (Article 11(1)). The SPOC receives and
  evaluates requests submitted in any language of that list (Article 14(2)(a)).

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOC of another Member State

  @R-50 @art-11-1 @R-61 @art-14-2-a @unverified-reading
  Scenario Outline: A request in a notified language is accepted and answered
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    When the requested SPOC receives a request marked non-urgent for that information, written in <language>
    Then the request is not refused for its language
    And the requested SPOC provides the information in <language>

    Examples:
      | language |
      | English  |
      | German   |
