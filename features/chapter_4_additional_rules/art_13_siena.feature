@chapter-4
Feature: Article 13 - The secure communication channel (SIENA)
  SIENA is the default channel for sending requests, providing information on request or on own
  initiative, and sending copies to Europol (Article 13(1)). Another channel may be used only where
  third countries or international organisations are, or will be, involved (including through the
  Interpol channel), where the urgency of the request requires temporary use of another channel, or
  where an unexpected technical or operational incident prevents the use of SIENA (Article 13(2)).

  The obligations of Article 13 apply from 12 June 2027; before that date the harness reports a
  departure from them as a warning, not a failure.

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOC of another Member State

  @R-54 @art-13-1
  Scenario: Replies and refusals travel through SIENA
    When the requesting SPOC has sent the campaign's requests to the requested SPOC
    Then every reply, refusal and request for clarification of the requested SPOC travels through SIENA, unless it states a reason of Article 13(2)

  @R-55 @art-13-2
  Scenario: When SIENA is unavailable, the SPOC uses another channel and records why
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    When the requested SPOC receives a request marked urgent for that information
    And SIENA then becomes unavailable to the requested SPOC because of a technical incident
    Then the requested SPOC provides the information through another channel within 8 hours
    And the message states the technical or operational incident as the reason for not using SIENA
