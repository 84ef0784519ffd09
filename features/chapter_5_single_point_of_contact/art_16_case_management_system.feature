@chapter-5
Feature: Article 16 - The Case Management System of the Single Point of Contact
  The SPOC operates a single electronic case management system (CMS) that records every incoming
  and outgoing request and every communication about it, including refusals and clarifications
  (Article 16(1)(a)); records communications with the domestic competent authorities (Article
  16(1)(b)) and every provision of information (Article 16(1)(c)); cross-checks incoming requests
  against the information available to the SPOC (Article 16(1)(d)); follows up incoming requests
  so that the Article 5 time limits are met (Article 16(1)(e)); is interoperable with SIENA
  (Article 16(1)(f)); produces the statistics of Article 18 (Article 16(1)(g)); and logs access to
  and processing of information, as Article 25 of Directive (EU) 2016/680 requires (Article
  16(1)(h)). Personal data are kept only as long as necessary and proportionate and are then
  irrevocably deleted (Article 16(3)); compliance is first reviewed no later than six months after
  an exchange is concluded (Article 16(4)).

  The harness reads the CMS through the exports of the SUT test interface (case records, audit log,
  statistics) and compares them with its own journal of the messages exchanged on the channels.

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOC of another Member State

  @R-81 @art-16-1-a @R-83 @art-16-1-c
  Scenario: Every message exchanged about a request is recorded in the CMS
    When the requesting SPOC has sent the campaign's requests to the requested SPOC
    Then every request, reply, refusal and clarification exchanged on the channels has a matching record in the CMS, with its direction, counterpart, kind and time

  @R-82 @art-16-1-b
  Scenario: Channelling a request to a domestic competent authority is recorded
    Given the information on the subject of the request is held by a domestic competent law enforcement authority
    When the requested SPOC receives a request marked non-urgent for that information
    And the requested SPOC channels the request to the domestic competent law enforcement authority
    Then the CMS records the communication with the domestic competent law enforcement authority

  @R-84 @art-16-1-d
  Scenario: A new request on a subject already known to the SPOC is cross-checked
    Given the CMS already holds an exchange on a person
    When the requested SPOC receives a request marked non-urgent for information on the same person
    Then the CMS flags the new request as matching the earlier exchange

  @R-85 @art-16-1-e
  Scenario Outline: The CMS tracks the time limit of each incoming request
    Given the national databases of the requested Member State hold <availability> information on the subject of the request
    When the requested SPOC receives a request marked <urgency> for that information
    Then the case management system of the requested SPOC tracks a due moment <limit> after receipt

    Examples:
      | urgency    | availability         | limit           |
      | urgent     | directly available   | 8 hours         |
      | urgent     | indirectly available | 3 calendar days |
      | non-urgent | directly available   | 7 calendar days |

  @R-86 @art-16-1-f
  Scenario: Messages received through SIENA are recorded directly, with their SIENA identifiers
    When the requesting SPOC has sent the campaign's requests to the requested SPOC
    Then every SIENA message received or sent by the requested SPOC appears in the CMS under its SIENA message identifier

  @R-88 @art-16-1-h @unverified-reading
  Scenario: Access to and processing of information in the CMS is logged
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    When the requested SPOC receives a request marked non-urgent for that information
    And the requested SPOC provides the information
    Then the audit log of the CMS records the collection of the request and the disclosure of the information
    And each log entry states its date and time, the person acting and the justification
    And the disclosure names its recipient

  @R-90 @art-16-3 @R-91 @art-16-4 @unverified-reading
  Scenario: A concluded exchange is scheduled for its first retention review within six months
    Given the national databases of the requested Member State hold directly available information on the subject of the request
    When the requested SPOC receives a request marked non-urgent for that information
    And the requested SPOC provides the information
    Then the CMS schedules the first review of the retention of the personal data no later than six months after the exchange was concluded
