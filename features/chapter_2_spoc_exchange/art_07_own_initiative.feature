@chapter-2
Feature: Article 7 - Provision of information on own initiative
  The SPOC or the competent law enforcement authorities may provide, and for serious criminal
  offences must provide, information on their own initiative to the SPOCs or the competent law
  enforcement authorities of other Member States. Information sent to another Member State's SPOC
  is in one of the languages that Member State notified under Article 11 (Article 7(3), first
  subparagraph). Information sent to a competent law enforcement authority of another Member State
  is copied at the same time to the SPOC of that Member State (second subparagraph), and information
  a domestic competent authority provides is copied to the SPOC under test.

  Whether the duty of Article 7(2) arises cannot be observed from outside the SPOC; the harness
  triggers each provision through the SUT test interface and judges how it is made.

  Background:
    Given the SPOC of the Member State under test provides information on its own initiative
    And the harness plays the SPOCs and competent law enforcement authorities of the other Member States

  @R-32 @art-7-3-sub1
  Scenario: Own-initiative information to another SPOC is in one of that Member State's languages
    When the SPOC under test provides information on its own initiative to the SPOC of France
    Then the information is written in one of the languages France notified under Article 11

  @R-33 @art-7-3-sub2
  Scenario: Own-initiative information to a foreign competent authority is copied to that Member State's SPOC
    When the SPOC under test provides information on its own initiative to a competent law enforcement authority of Portugal
    Then a copy of the information reaches the SPOC of Portugal at the same time

  @R-34 @art-7-3-to-4 @unverified-reading
  Scenario: Own-initiative information from a domestic competent authority is copied to the SPOC under test
    When a competent law enforcement authority of the Member State under test provides information on its own initiative to the SPOC of Estonia
    Then a copy of the information reaches the SPOC under test at the same time
