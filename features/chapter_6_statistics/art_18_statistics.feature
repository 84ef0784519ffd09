@chapter-6
Feature: Article 18 - Statistics
  By 1 March each year, each Member State gives the Commission statistics on its exchanges of
  information with other Member States under the Directive in the previous calendar year (Article
  18(1)). The minimum figures are the number of requests submitted (Article 18(2)(a)); the number
  of requests received and the number replied to, by urgency and by requesting Member State
  (Article 18(2)(b)); the number of refusals under Article 6, by requesting Member State and by
  ground (Article 18(2)(c)); and the number of cases where the time limits of Article 5(1) were
  deviated from because a judicial authorisation had to be obtained, by requesting Member State
  (Article 18(2)(d)).

  The harness compares the statistics exported by the CMS with its own journal of the exchanges it
  drove during the campaign, counting only what the campaign added to the CMS's figures. Article 18
  does not require counts of late answers, clarifications or copies to Europol; the harness does
  not ask for them. Copies received under Articles 4(1), 5(3), 7 and 8 are not requests received.

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOCs of the other Member States
    And the campaign's exchanges with the SPOC under test have taken place

  @R-95 @art-18-1
  Scenario: The CMS produces the statistics for a calendar year
    When the statistics of the case management system for the calendar year of the campaign are exported
    Then they cover the exchanges of that calendar year

  Scenario Outline: The statistics of the CMS match the exchanges the harness drove
    When the statistics of the case management system for the calendar year of the campaign are exported
    Then the <figure> equals the harness's own count, <breakdown>

    @R-96 @art-18-2-a
    Examples: Article 18(2)(a)
      | figure                       | breakdown |
      | number of requests submitted | in total  |

    @R-97 @art-18-2-b
    Examples: Article 18(2)(b)
      | figure                        | breakdown                                 |
      | number of requests received   | by urgency and by requesting Member State |
      | number of requests replied to | by urgency and by requesting Member State |

    @R-98 @art-18-2-c
    Examples: Article 18(2)(c)
      | figure                                     | breakdown                                |
      | number of requests refused under Article 6 | by requesting Member State and by ground |

    @R-99 @art-18-2-d
    Examples: Article 18(2)(d)
      | figure                                                                 | breakdown                  |
      | number of deviations from the time limits for a judicial authorisation | by requesting Member State |
