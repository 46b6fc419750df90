Feature: Enforcement modes and effective dates
  A standards version lists the rules in force, each with an enforcement mode. An enforce rule
  reports at the rule's severity and blocks the gate on errors; a warn rule reports at most a
  warning; an audit rule only records information. A rule with an effective date only warns until
  that date, so teams get notice before a new standard starts to block them. Rules that the version
  does not list are not in force at all.

  Background:
    Given the standard org.yaml
    And today is "2026-06-01"
    And a valid product "sales.orders" with
      """
      structure: snapshot
      """

  Scenario: An enforced rule reports an error and blocks the gate
    Given the mesh uses a custom standards pack with the rules
      """
      - {id: structure.enum, mode: enforce}
      - {id: auth.read-baseline, mode: enforce}
      - {id: auth.deploy-baseline, mode: enforce}
      """
    When the gate decides
    Then "structure.enum" for "sales.orders" is reported as error in mode enforce
    And the gate blocks "sales.orders"
    And the gate exits 1

  Scenario: A rule in warn mode reports a warning and does not block
    Given the mesh uses a custom standards pack with the rules
      """
      - {id: structure.enum, mode: warn}
      - {id: auth.read-baseline, mode: enforce}
      - {id: auth.deploy-baseline, mode: enforce}
      """
    When the gate decides
    Then "structure.enum" for "sales.orders" is reported as warning in mode warn
    And the gate allows "sales.orders"
    And the gate exits 0

  Scenario: A rule in audit mode only records information
    Given the mesh uses a custom standards pack with the rules
      """
      - {id: structure.enum, mode: audit}
      - {id: auth.read-baseline, mode: enforce}
      - {id: auth.deploy-baseline, mode: enforce}
      """
    When the gate decides
    Then "structure.enum" for "sales.orders" is reported as info in mode audit
    And the gate allows "sales.orders"

  Scenario: Before its effective date an enforced rule only warns
    Given the mesh uses a custom standards pack with the rules
      """
      - {id: structure.enum, mode: enforce, effective: 2026-09-01}
      - {id: auth.read-baseline, mode: enforce}
      - {id: auth.deploy-baseline, mode: enforce}
      """
    When the gate decides
    Then "structure.enum" for "sales.orders" is reported as warning in mode warn
    And the gate allows "sales.orders"

  Scenario: From its effective date an enforced rule blocks
    Given today is "2026-09-01"
    And the mesh uses a custom standards pack with the rules
      """
      - {id: structure.enum, mode: enforce, effective: 2026-09-01}
      - {id: auth.read-baseline, mode: enforce}
      - {id: auth.deploy-baseline, mode: enforce}
      """
    When the gate decides
    Then "structure.enum" for "sales.orders" is reported as error in mode enforce
    And the gate blocks "sales.orders"

  Scenario: A rule the standards version does not list is not in force
    Given the mesh uses a custom standards pack with the rules
      """
      - {id: structure.required, mode: enforce}
      - {id: auth.read-baseline, mode: enforce}
      - {id: auth.deploy-baseline, mode: enforce}
      """
    When the gate decides
    Then "structure.enum" is not reported for "sales.orders"
    And the gate allows "sales.orders"

  Scenario: In the shipped standards, prod deploys by a person only warn before 2026-01-01
    Given today is "2025-12-31"
    And a valid product "sales.returns" with
      """
      owner: {group: null, person: ana@example.com}
      """
    When the gate decides
    Then "auth.prod-deploy-team" for "sales.returns" is reported as warning in mode warn
    And the gate allows "sales.returns"

  Scenario: In the shipped standards, prod deploys by a person only block from 2026-01-01
    Given today is "2026-01-01"
    And a valid product "sales.returns" with
      """
      owner: {group: null, person: ana@example.com}
      """
    When the gate decides
    Then "auth.prod-deploy-team" for "sales.returns" is reported as error in mode enforce
    And the gate blocks "sales.returns"
