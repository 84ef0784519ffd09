@chapter-5
Feature: Article 16 - The Case Management System of the Single Point of Contact
  The SPOC operates a single electronic case management system (CMS) that records every incoming
  and outgoing request and every communication about it, including refusals and clarifications
  (Article 16(1)(a)); records communications with the domestic competent authorities (Article
  16(1)(b)) and every provision of information (Article 16(1)(c)); cross-checks incoming requests
  and copies against the information available to the SPOC (Article 16(1)(d)); follows up incoming
  requests so that the Article 5 time limits are met (Article 16(1)(e)); is interoperable with
  SIENA (Article 16(1)(f)); generates the statistics of Article 18 (Article 16(1)(g)); and logs
  access to and processing of information, as Article 25 of Directive (EU) 2016/680 requires
  (Article 16(1)(h)). Personal data are kept only as long as necessary and proportionate and are
  then irrevocably deleted (Article 16(3)); compliance is reviewed for the first time no later
  than six months after an exchange is concluded (Article 16(4)).

  The harness reads the CMS through the exports of the SUT test interface (case records, audit log,
  statistics) and compares them with its own journal of the messages exchanged on the channels.

  Background:
    Given the harness plays the SPOCs and competent law enforcement authorities of the other Member States

  @R-80 @art-16-1-chapeau @R-81 @art-16-1-a @R-83 @art-16-1-c
  Scenario: Every message exchanged about a request is recorded in the one CMS
    When the campaign's exchanges with the SPOC under test have taken place
    Then one case management system holds a case for every exchange
    And every request, reply, refusal, request for clarification and clarification exchanged on the channels has a matching record, with its direction, counterpart, kind and time
    And every provision of information, on request or on own initiative, is recorded

  @R-82 @art-16-1-b
  Scenario: Communications with the domestic competent authorities are recorded
    Given the information on the subject of the request is held by a competent law enforcement authority of the Member State under test
    When the requested SPOC receives requests for that information
    Then the case management system records the communications with that authority

  @R-84 @art-16-1-d
  Scenario: A request or a copy about a person already known to the SPOC is cross-checked
    When the requested SPOC receives a request about a person on whom it exchanged information six days earlier, or a copy about a person its databases hold
    Then the case management system flags the match with the earlier exchange or the held information

  @R-85 @art-16-1-e
  Scenario: The CMS tracks the time limit of every incoming request
    When the requesting SPOCs have sent all the campaign's requests to the requested SPOC
    Then the case management system holds for each request the due moment of its Article 5(1) time limit and the request is answered by then

  @R-86 @art-16-1-f
  Scenario: Messages are recorded directly from SIENA, once, under their SIENA identifiers
    When the campaign's exchanges with the SPOC under test have taken place, including a request SIENA delivered twice
    Then every SIENA message the SPOC under test received or sent appears in the case management system under its SIENA message identifier, and a message delivered twice opens only one case

  @R-87 @art-16-1-g @unverified-reading
  Scenario: The CMS generates the statistics of Article 18
    When the campaign's exchanges with the SPOC under test have taken place
    Then the case management system generates the statistics of Article 18 for the calendar year

  @R-88 @art-16-1-h @unverified-reading
  Scenario: Access to and processing of information in the CMS is logged
    When the campaign's exchanges with the SPOC under test have taken place
    Then the audit log of the case management system records the collection, consultation and disclosure of the information of each exchange, each with its time, the person acting and the justification, and each disclosure with its recipient

  @R-90 @art-16-3 @R-91 @art-16-4 @unverified-reading
  Scenario: Personal data are reviewed within six months of the end of an exchange and deleted when no longer needed
    When the campaign's exchanges with the SPOC under test have been concluded and six months of network time have passed
    Then the case management system reviewed each concluded exchange no later than six months after its conclusion
    And it deleted the personal data it no longer needed, and logged the erasure
