@chapter-4
Feature: Article 10 - Additional rules for information that is personal data
  The categories of personal data provided per category of data subject stay within Section B of
  Annex II to Regulation (EU) 2016/794 and are necessary and proportionate (Article 10(b)); and the
  provider supplies, at the same time and as far as possible, the elements that let the recipient
  assess how accurate, complete, reliable and up to date the data are (Article 10(c)).

  Section B of Annex II to Regulation (EU) 2016/794 has not been verified against the Official
  Journal; the categories the harness allows per category of data subject are its working reading,
  kept in one place (simulators/model/personal_data.toml, read by the harness and the reference CMS
  alike). It allows every category of Section B(2) for suspects, and only personal details, physical
  description and identification means for witnesses, victims, contacts and informants.

  Background:
    Given the SPOC of the Member State under test is the requested SPOC
    And the harness plays the requesting SPOCs of the other Member States

  @R-48 @art-10-b
  Scenario: Personal data outside the categories allowed for the data subject are not provided
    Given the national databases of the requested Member State hold personal data on suspects and witnesses, including data on a witness's finances and health
    When the requested SPOC receives requests for information on those persons
    Then the personal data provided on each person stay within the categories allowed for the person's category of data subject
    # The person's category is the one the national database holds, not the label the reply gives it.

  @R-49 @art-10-c @unverified-reading
  Scenario: Personal data come with the elements needed to assess their reliability and currency
    Given the national databases of the requested Member State hold personal data on suspects and witnesses, including data on a witness's finances and health
    When the requested SPOC receives requests for information on those persons
    Then every item of personal data provided states the reliability of its source, the accuracy of the information and, where the database dates it, when it was last updated
