@chapter-4
Feature: Article 11 - Languages
  Each Member State keeps a list of the official languages of the Union in which its SPOC can
  provide information, and the list includes English (Article 11(1)). The SPOC receives and
  evaluates requests submitted in any language of that list (Article 14(2)(a), see the Article 14
  feature).

  That the list must include English is widely reported but has not been verified against the
  Official Journal.

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOCs of the other Member States

  @R-50 @art-11-1 @unverified-reading
  Scenario: A request in English is accepted and answered
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    When the requested SPOC receives requests for that information written in English
    Then none of them is refused for its language, and each is answered on its merits
