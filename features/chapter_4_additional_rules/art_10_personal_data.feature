@chapter-4
Feature: Article 10 - Additional rules for information that is personal data
  Personal data provided under Chapters II and III are accurate, complete and up to date
  (Article 10(a)); the categories of personal data provided per category of data subject stay
  within Section B of Annex II to Regulation (EU) 2016/794 and are necessary and proportionate
  (Article 10(b)); and the provider supplies, at the same time and as far as possible, the
  elements that let the recipient assess the accuracy, completeness and reliability of the data
  and how up to date they are (Article 10(c)).

  Section B of Annex II to Regulation (EU) 2016/794 has not been verified against the Official
  Journal; the categories the harness allows per category of data subject are its working
  reading and can be changed in one place.

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOC of another Member State

  @R-48 @art-10-b
  Scenario Outline: Personal data outside the allowed categories are not provided
    Given the national databases of the requested Member State hold <data category> about a person who is a <subject category>
    When the requested SPOC receives a request marked non-urgent for information on that person
    Then the personal data provided about that person stay within the categories allowed for a <subject category>
    And no <data category> about that person is provided

    Examples:
      | data category    | subject category |
      | health data      | suspect          |
      | financial data   | witness          |
      | behavioural data | victim           |

  @R-49 @art-10-c @unverified-reading
  Scenario: Personal data come with the elements needed to assess their reliability and currency
    Given the national databases of the requested Member State hold directly available personal data about a suspect
    When the requested SPOC receives a request marked non-urgent for information on that person
    Then every item of personal data provided states the reliability of its source, the accuracy of the information and the date it was last updated
