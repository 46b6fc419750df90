Feature: Scorecards and certitude levels
  Every data product gets a score from 0 to 100, a status per standard (pass, warn, fail, waived) and a
  certitude level. A product is raw when published; curated when it is accurate and fit for its purpose
  (namespace, owner, format and lifecycle pass); authoritative when it is also traceable, complete,
  consistent and documented (lineage, auth, documentation and SQL pass, and no unwaived error at all).
  The weights and the criteria are data in the standards pack (the scoring section of mesh-core 1.0.0).

  Background:
    Given the standard org.yaml

  Scenario: A product that passes every standard is authoritative with a full score
    Given a valid product "sales.orders"
    When the scorecards are computed
    Then "sales.orders" scores 100
    And the level of "sales.orders" is "authoritative"
    And the owner status of "sales.orders" is "pass"
    And the documentation status of "sales.orders" is "pass"

  Scenario: An undocumented product is curated but not authoritative
    Given a valid product "sales.orders" with
      """
      description: null
      """
    When the scorecards are computed
    Then the documentation status of "sales.orders" is "warn"
    And "sales.orders" scores 95
    And the level of "sales.orders" is "curated"
    And "sales.orders" is not "authoritative" because "documentation: warn"

  Scenario: A product whose owner is not a known team stays raw
    Given a valid product "sales.orders" with
      """
      owner: {group: sales-dta}
      """
    When the scorecards are computed
    Then the owner status of "sales.orders" is "fail"
    And the level of "sales.orders" is "raw"
    And "sales.orders" is not "curated" because "owner: fail"

  Scenario: Undeclared execution lineage keeps a product from being authoritative
    Given a valid product "sales.orders"
    And a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      """
    When the scorecards are computed
    Then the lineage status of "finance.revenue" is "fail"
    And the level of "finance.revenue" is "curated"
    And "finance.revenue" is not "authoritative" because "1 unwaived error (lineage)"
    And "finance.revenue" scores 85

  Scenario: A waived error costs nothing and its standard shows as waived
    Given a valid product "sales.orders" with
      """
      structure: snapshot
      """
    And the file "waivers.yaml" contains
      """
      waivers:
        - rule: structure.enum
          product: sales.orders
          reason: snapshot loads are being migrated to lot by the platform team
          approved_by: governance-board@example.com
          expires: 2026-09-30
      """
    When the scorecards are computed
    Then the structure status of "sales.orders" is "waived"
    And "sales.orders" scores 100
    And the level of "sales.orders" is "authoritative"

  Scenario: Each rule costs at most three times per product
    Given a valid product "sales.orders" with
      """
      outputPorts:
        - {name: a, type: table, location: x.a}
        - {name: b, type: table, location: x.b}
        - {name: c, type: table, location: x.c}
        - {name: d, type: table, location: x.d}
      """
    When the scorecards are computed
    Then "auth.classification-required" is reported 4 times for "sales.orders"
    And "sales.orders" scores 55
    And the auth status of "sales.orders" is "fail"

  Scenario: Domains and the mesh aggregate their products
    Given a valid product "sales.orders"
    And a valid product "sales.returns" with
      """
      description: null
      """
    And a valid product "crm.accounts" with
      """
      owner: {group: nobody}
      """
    When the scorecards are computed
    Then the domain "sales" has 2 products with mean score 97.5
    And the domain "sales" has 1 "authoritative" and 1 "curated" products
    And the domain "crm" has 2 open errors
    And the mesh has 3 products with mean score 88.3
    And the mesh has 1 "raw", 1 "curated" and 1 "authoritative" products
    And the owner standard fails for 1 of 3 products
    And the documentation standard warns for 1 of 3 products

  Scenario: Weights are data: a rule factor makes one rule cost more
    Given the scoring configuration
      """
      severity: {error: 10, warning: 2}
      rules: {owner.group-exists: 3}
      levels:
        - {name: raw}
        - {name: curated, standards: [owner]}
      """
    And a valid product "crm.accounts" with
      """
      owner: {group: nobody}
      """
    When the scorecards are computed
    Then "crm.accounts" scores 60
    And the level of "crm.accounts" is "raw"

  Scenario: Criteria are data: a level may accept warnings
    Given the scoring configuration
      """
      levels:
        - {name: bronze}
        - {name: silver, standards: [owner, namespace]}
        - {name: gold, standards: [documentation], accept: [pass, warn, waived]}
      """
    And a valid product "sales.orders" with
      """
      description: null
      """
    When the scorecards are computed
    Then the level of "sales.orders" is "gold"
    And the mesh has 0 "bronze", 0 "silver" and 1 "gold" products

  Scenario: A scoring configuration that names an unknown standard is rejected
    Given the scoring configuration
      """
      levels:
        - {name: raw}
        - {name: curated, standards: [owner, lineag]}
      """
    Then the scoring configuration is rejected because "unknown standard 'lineag'"

  Scenario: Only a product in service can be authoritative
    Given a valid product "sales.orders" with
      """
      lifecycle:
        state: init
        events: [{state: init, at: 2025-01-10}]
      """
    When the scorecards are computed
    Then "sales.orders" scores 100
    And the level of "sales.orders" is "curated"
    And "sales.orders" is not "authoritative" because "state: init"

  Scenario: A level may not name an unknown lifecycle state
    Given the scoring configuration
      """
      levels:
        - {name: raw}
        - {name: curated, states: [active, sunsetting]}
      """
    Then the scoring configuration is rejected because "states must be a list of lifecycle states"
