@chapter-2
Feature: Article 7 - Provision of information on own initiative
  The SPOC or the competent law enforcement authorities may provide, and for serious criminal
  offences must provide, information on their own initiative to the SPOCs or the competent law
  enforcement authorities of other Member States. Information sent to another Member State's SPOC
  is in one of the languages that Member State notified under Article 11. Information sent to a
  competent law enforcement authority of another Member State is copied at the same time to the
  SPOC of that Member State.

  Whether and when the duty of Article 7(2) arises cannot be observed from outside the SPOC; the
  harness triggers a provision through the SUT test interface and judges how it is made.

  Background:
    Given the SPOC of the Member State under test provides information on its own initiative
    And the harness plays the SPOC and a competent law enforcement authority of another Member State

  @R-32 @art-7-3-sub1
  Scenario: Own-initiative information to another SPOC is in one of that Member State's languages
    Given the receiving Member State has notified its languages under Article 11
    When the SPOC under test provides information on its own initiative to the SPOC of the receiving Member State
    Then the SPOC of the receiving Member State receives the information
    And the information is written in one of the languages notified by the receiving Member State

  @R-33 @art-7-3-sub2
  Scenario: Own-initiative information to a foreign competent authority is copied to that Member State's SPOC
    When the SPOC under test provides information on its own initiative to a competent law enforcement authority of the receiving Member State
    Then the competent law enforcement authority receives the information
    And a copy of the information reaches the SPOC of the receiving Member State at the same time

  @R-34 @art-7-3-to-4 @unverified-reading
  Scenario: Own-initiative information from a domestic competent authority is copied to the SPOC under test
    When a competent law enforcement authority of the Member State under test provides information on its own initiative to the receiving Member State
    Then a copy of the information reaches the SPOC under test at the same time
    And the case management system of the SPOC under test records the copy
