Feature: Owner standard
  Every data product has an accountable owner: a team (group), a person, or both.
  A person is named by e-mail address; a team must exist in org.yaml when the mesh has one.

  Background:
    Given the standard org.yaml

  Scenario: A product owned by a known team and a person passes
    Given a valid product "sales.orders"
    When the mesh is checked
    Then no owner finding is reported for "sales.orders"

  Scenario: A product with no owner at all fails
    Given a valid product "sales.orders" with
      """
      owner: {group: null, person: null}
      """
    When the mesh is checked
    Then an owner error "owner.required" is reported for "sales.orders"

  Scenario: A product owned by a person only passes the owner standard
    Given a valid product "sales.orders" with
      """
      owner: {group: null}
      """
    When the mesh is checked
    Then no owner finding is reported for "sales.orders"

  Scenario: An owning person must be an e-mail address
    Given a valid product "sales.orders" with
      """
      owner: {person: Ana from sales}
      """
    When the mesh is checked
    Then an owner error "owner.person-email" is reported for "sales.orders"
    And the message of "owner.person-email" for "sales.orders" mentions "Ana from sales"

  Scenario: An owning group must be a team of org.yaml
    Given a valid product "sales.orders" with
      """
      owner: {group: sales-dta}
      """
    When the mesh is checked
    Then an owner error "owner.group-exists" is reported for "sales.orders"
    And "owner.group-exists" is reported for "sales.orders" at line 9

  Scenario: Without an org.yaml any owning group is accepted
    Given the mesh has no org.yaml
    And a valid product "sales.orders" with
      """
      owner: {group: revenue-squad}
      """
    When the mesh is checked
    Then "owner.group-exists" is not reported for "sales.orders"

  Scenario: An owner with a person but an empty group still has an owner
    Given a valid product "sales.orders" with
      """
      owner: {group: null, person: ana@example.com}
      """
    When the mesh is checked
    Then "owner.required" is not reported for "sales.orders"
    And "owner.group-exists" is not reported for "sales.orders"
