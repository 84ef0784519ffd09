@chapter-2
Feature: Article 6(1), 6(2) and 6(4) - Refusal of requests for information
  The requested SPOC may refuse to provide information only on the grounds listed in Article 6(1),
  first subparagraph, and only insofar as a ground applies: the obligation to provide the other
  parts of the information remains (third subparagraph). The requesting SPOC is informed of the
  refusal, with the reasons, within the time limits of Article 5(1) (Article 6(2)), in the
  language of the original request (Article 6(4)).

  The harness codes each ground with two letters so that refusals and the Article 18 statistics
  can be compared: NA, NC, JR, PD, DQ, NS, JI, LP, MO, NO and OC. The codes are the project's own;
  the points of Article 6(1) they stand for are given with each code. For each ground the harness
  puts into the national databases of the Member State under test information to which the ground
  applies, then asks for it as a requesting SPOC.

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOCs of the other Member States

  @R-20 @art-6-1-sub1 @R-23 @art-6-2
  Scenario Outline: The requested SPOC refuses on ground <code>, Article 6(1) point <point>, with reasons and in time
    Given ground <code> applies to the information requested: <situation>
    When the requested SPOC receives a request marked non-urgent for that information
    Then the requested SPOC refuses the information concerned on ground <code>, Article 6(1) point <point>
    And the requesting SPOC is told of the refusal, with its reasons, within 7 calendar days of receipt

    Examples: Grounds for refusal of Article 6(1)
      | code | point    | situation                                                                                                                |
      | NA   | (a)      | the information is not available to the requested SPOC or to the competent law enforcement authorities                   |
      | NC   | (b)      | the request does not meet the requirements of Article 4, and the clarification the requesting SPOC gave does not cure it |
      | JR   | (c)      | the judicial authorisation required by national law under Article 9 has been refused                                     |
      | PD   | (d)      | the information is personal data outside the categories referred to in Article 10 point (b)                              |
      | DQ   | (e)      | the information has been found inaccurate, incomplete or no longer up to date                                            |
      | NS   | (f)(i)   | providing the information would harm the essential interests of national security                                        |
      | JI   | (f)(ii)  | providing the information would jeopardise an ongoing criminal investigation or the safety of a person                   |
      | LP   | (f)(iii) | providing the information would unduly harm the protected important interests of a legal person                          |
      | MO   | (g)(i)   | the offence is punishable by a term of imprisonment of one year or less under national law                               |
      | NO   | (g)(ii)  | the matter is not a criminal offence under national law                                                                  |
      | OC   | (h)      | the information was obtained from another Member State, which has not consented to its provision                         |

  @R-20 @art-6-1-sub1
  Scenario: Every refusal names grounds of the exhaustive list of Article 6(1), and only grounds that apply
    When the requesting SPOCs have sent all the campaign's requests to the requested SPOC
    Then every refusal received names one or more grounds of Article 6(1), and each ground applies to the information refused

  @R-22 @art-6-1-sub3 @unverified-reading
  Scenario: Only the part of the information to which a ground relates is refused
    Given the request asks for information on two persons
    And ground JI applies to the information requested: providing the information on the second person would jeopardise an ongoing criminal investigation
    When the requested SPOC receives a request marked non-urgent for that information
    Then the requested SPOC provides the information on the first person and refuses only the information on the second

  @R-26 @art-6-4 @unverified-reading
  Scenario: Refusals and other communications about a request are in the language of the original request
    When the requesting SPOCs have sent all the campaign's requests to the requested SPOC
    Then every refusal, request for clarification and notice of delay is written in the language of the request it concerns

  @R-27 @art-6-1-h+art-3-d
  Scenario: Information obtained from another Member State is not provided without its consent
    Given ground OC applies to the information requested: the information was obtained from France, which has not consented to its provision
    When the requested SPOC receives a request marked non-urgent for that information
    Then the requested SPOC withholds the information and refuses it on ground OC, Article 6(1) point (h)
