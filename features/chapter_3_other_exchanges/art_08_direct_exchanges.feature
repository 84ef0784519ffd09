@chapter-3
Feature: Article 8 - Exchanges of information directly between competent law enforcement authorities
  Where the SPOC sends a request directly to a competent law enforcement authority of another
  Member State, it sends a copy at the same time to the SPOC of that Member State, and where a
  competent law enforcement authority provides information in reply to such a request, it sends a
  copy at the same time to its own SPOC (Article 8(1)). Where a competent law enforcement authority
  of the Member State under test sends a request directly to, or provides information directly to,
  a law enforcement authority of another Member State, copies go at the same time both to its own
  SPOC and to the SPOC of the other Member State (Article 8(2)). A copy may be omitted only where it
  would jeopardise a highly sensitive investigation, a terrorism case not involving an emergency,
  or the safety of a person (Article 8(3)); the ground is then recorded.

  Background:
    Given the harness plays the SPOCs and competent law enforcement authorities of the other Member States

  @R-40 @art-8-1-s1
  Scenario: A request of the SPOC under test to a foreign competent authority is copied to that Member State's SPOC
    When the SPOC under test sends a request directly to a competent law enforcement authority of Belgium
    Then a copy of the request reaches the SPOC of Belgium at the same time

  @R-41 @art-8-1-s2
  Scenario: Information a domestic competent authority provides in reply is copied to the SPOC under test
    When the SPOC of Germany sends a request directly to a competent law enforcement authority of the Member State under test
    Then a copy of the information that authority provides in reply reaches the SPOC under test at the same time

  @R-42 @art-8-2
  Scenario: A direct request of a domestic competent authority is copied to both SPOCs
    When a competent law enforcement authority of the Member State under test sends a request directly to a competent law enforcement authority of Italy
    Then copies of the request reach the SPOC under test and the SPOC of Italy at the same time

  @R-43 @art-8-3
  Scenario: A copy is omitted only with a recorded ground of Article 8(3)
    When the campaign's direct exchanges between competent law enforcement authorities have taken place
    Then every copy required by Article 8 was sent, or the ground of Article 8(3) for omitting it is recorded
