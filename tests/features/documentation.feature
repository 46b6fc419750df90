Feature: Documentation standard
  People who discover a data product need to know what it is. Every product has a description
  (a missing one is a warning that does not block deployment) and a display name (audited only:
  reported as information, for the scorecards).

  Background:
    Given the standard org.yaml

  Scenario: A product with a description and a name passes
    Given a valid product "sales.orders"
    When the mesh is checked
    Then no documentation finding is reported for "sales.orders"

  Scenario: A product without a description is flagged but may be deployed
    Given a valid product "sales.orders" with
      """
      description: null
      """
    When the gate decides
    Then a documentation warning "documentation.description" is reported for "sales.orders"
    And "documentation.description" for "sales.orders" is reported as warning in mode enforce
    And the gate allows "sales.orders"

  Scenario: An empty description counts as missing
    Given a valid product "sales.orders" with
      """
      description: ""
      """
    When the mesh is checked
    Then a documentation warning "documentation.description" is reported for "sales.orders"

  Scenario: A product without a display name is recorded for the audit
    Given a valid product "sales.orders" with
      """
      name: null
      """
    When the gate decides
    Then a documentation info "documentation.name" is reported for "sales.orders"
    And "documentation.name" for "sales.orders" is reported as info in mode audit
    And the gate allows "sales.orders"
