@chapter-4
Feature: Article 13 - The secure communication channel (SIENA)
  SIENA is the default channel for sending requests, providing information on request or on own
  initiative, and sending copies to Europol (Article 13(1)). Another channel may be used only where
  third countries or international organisations are, or will be, involved (including through the
  Interpol channel), where the urgency of the request requires temporary use of another channel, or
  where an unexpected technical or operational incident prevents the use of SIENA (Article 13(2)).

  The obligations of Article 13 apply from 12 June 2027; before that date the harness reports a
  departure from them as a warning, not a failure (the date can be set for a run with
  -D siena_obligation_date=YYYY-MM-DD).

  Background:
    Given the harness plays the SPOCs of the other Member States

  @R-54 @art-13-1
  Scenario: The SPOC under test sends through SIENA
    When the campaign's exchanges with the SPOC under test have taken place
    Then every message about an exchange under the Directive that the SPOC under test sent travelled through SIENA, or states a reason of Article 13(2)

  @R-55 @art-13-2
  Scenario Outline: Another channel is used only on a ground of Article 13(2), and the message says which
    When <situation>
    Then the SPOC under test uses another channel only on a ground of Article 13(2), and says which: <ground>

    Examples:
      | situation                                                                                      | ground                                          |
      | SIENA is unavailable to the SPOC under test for 12 hours right after an urgent request arrives | an unexpected technical or operational incident |
      | the SPOC under test sends a request that involves a third country, the United States           | the involvement of a third country              |
