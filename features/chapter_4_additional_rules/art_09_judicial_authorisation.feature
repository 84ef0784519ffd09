@chapter-4
Feature: Article 9 - Judicial authorisation
  Where the national law of the requested Member State requires a judicial authorisation to
  provide information, the SPOC takes all necessary steps to obtain it as soon as possible
  (Article 9(2) and (3)). Seen from outside, the requesting SPOC is told of the delay at once; the
  information follows soon after the court grants the authorisation (Article 5(2)); if the court
  refuses it, the request is refused on ground JR, Article 6(1) point (c).

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOCs of the other Member States

  @R-46 @art-9-2-to-3 @unverified-reading
  Scenario Outline: The SPOC seeks the judicial authorisation at once, whatever the court decides
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    And its national law requires a judicial authorisation to provide that information, which the court <decision>
    When the requested SPOC receives a request marked non-urgent for that information
    Then the requested SPOC takes the steps to obtain the authorisation at once and tells the requesting SPOC of the delay

    Examples:
      | decision |
      | grants   |
      | refuses  |
