@chapter-2
Feature: Article 6(1), 6(2) and 6(4) - Refusal of requests for information
  The requested SPOC may refuse to provide information only on the grounds listed in Article 6(1),
  first subparagraph, and only insofar as a ground applies: the obligation to provide the other
  parts of the information remains. The requesting SPOC is informed of the refusal, with the
  reasons, within the time limits of Article 5(1) (Article 6(2)), in the language of the original
  request (Article 6(4)).

  The harness codes each ground with two letters so that refusals and the Article 18 statistics
  can be compared: NA, NC, JR, PD, DQ, NS, JI, LP, MO, NO and OC. The codes are the project's own;
  the points of Article 6(1) they stand for are given with each code.

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOC of another Member State

  @R-20 @art-6-1-sub1 @R-23 @art-6-2
  Scenario Outline: The requested SPOC refuses on ground <code>, Article 6(1) point <point>, with reasons and in time
    Given the situation of the request is that <situation>
    When the requested SPOC receives a request marked non-urgent for that information
    Then the requested SPOC refuses the request on ground <code>, Article 6(1) point <point>
    And the refusal states its reasons
    And the refusal reaches the requesting SPOC within 7 calendar days of receipt

    Examples: Grounds for refusal of Article 6(1)
      | code | point    | situation                                                                                                |
      | NA   | (a)      | the information is not available to the requested SPOC or to the competent law enforcement authorities   |
      | NC   | (b)      | the request does not meet the requirements of Article 4 and cannot be made to meet them by clarification |
      | JR   | (c)      | the judicial authorisation required by national law under Article 9 has been refused                     |
      | PD   | (d)      | the information is personal data outside the categories referred to in Article 10 point (b)              |
      | DQ   | (e)      | the information has been found inaccurate, incomplete or no longer up to date                            |
      | NS   | (f)(i)   | providing the information would harm the essential interests of national security                        |
      | JI   | (f)(ii)  | providing the information would jeopardise an ongoing criminal investigation or the safety of a person   |
      | LP   | (f)(iii) | providing the information would unduly harm the protected important interests of a legal person          |
      | MO   | (g)(i)   | the offence is punishable by a term of imprisonment of one year or less under national law               |
      | NO   | (g)(ii)  | the matter is not a criminal offence under national law                                                  |
      | OC   | (h)      | the information was obtained from another Member State, which has not consented to its provision         |

  @R-23 @art-6-2
  Scenario: A refusal of an urgent request reaches the requesting SPOC within 8 hours
    Given the situation of the request is that providing the information would jeopardise an ongoing criminal investigation or the safety of a person
    And the information on the subject of the request is directly available
    When the requested SPOC receives a request marked urgent for that information
    Then the requested SPOC refuses the request on ground JI, Article 6(1) point (f)(ii)
    And the refusal reaches the requesting SPOC within 8 hours of receipt

  @R-26 @art-6-4 @unverified-reading
  Scenario: A refusal is written in the language of the original request
    Given the situation of the request is that the information is not available to the requested SPOC or to the competent law enforcement authorities
    When the requested SPOC receives a request marked non-urgent for that information, written in English
    Then the requested SPOC refuses the request on ground NA, Article 6(1) point (a)
    And the refusal is written in English

  @R-20 @art-6-1-sub1
  Scenario: Every refusal names at least one ground of the exhaustive list of Article 6(1)
    When the requesting SPOC has sent the campaign's requests to the requested SPOC
    Then every refusal received names one or more grounds of Article 6(1) and no other ground

  @R-22 @art-6-1-sub3 @unverified-reading
  Scenario: Only the part of the information to which a ground relates is refused
    Given the request asks for two items of information on the subject
    And the situation of the request is that providing the first item would jeopardise an ongoing criminal investigation or the safety of a person
    And the second item is directly available and may be provided
    When the requested SPOC receives a request marked non-urgent for that information
    Then the requested SPOC refuses the first item on ground JI, Article 6(1) point (f)(ii)
    And the requested SPOC provides the second item

  @R-27 @art-6-1-h+art-3-d
  Scenario Outline: Information obtained from another Member State is provided only with its consent
    Given the information on the subject of the request was obtained from <originator>, which <consent>
    When the requested SPOC receives a request marked non-urgent for that information
    Then the requested SPOC <outcome>

    Examples:
      | originator | consent           | outcome                                                  |
      | France     | has not consented | refuses the request on ground OC, Article 6(1) point (h) |
      | France     | has consented     | provides the information                                 |
