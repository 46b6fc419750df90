Feature: Waivers
  A waiver is a time-boxed, approved exception: it names one rule on one product, why, who approved
  it and when it expires (at most 180 days ahead by default). A waived finding is still shown,
  marked waived, and never blocks the gate. A waiver that is expired, has no expiry, expires too far
  ahead, or names an unknown rule or product does not apply, and is itself reported.

  Background:
    Given the standard org.yaml
    And today is "2026-06-01"
    And a valid product "sales.orders" with
      """
      structure: snapshot
      """

  Scenario: Without a waiver the finding blocks the product
    When the gate decides
    Then a structure error "structure.enum" is reported for "sales.orders"
    And "structure.enum" for "sales.orders" is not waived
    And the gate blocks "sales.orders"
    And the gate exits 1

  Scenario: A valid waiver marks the finding waived and the gate allows the product
    Given the file "waivers.yaml" contains
      """
      waivers:
        - rule: structure.enum
          product: sales.orders
          reason: snapshot loads are being migrated to lot by the platform team
          approved_by: governance-board@example.com
          expires: 2026-09-30
      """
    When the gate decides
    Then a structure error "structure.enum" is reported for "sales.orders"
    And "structure.enum" for "sales.orders" is waived
    And no "waiver.invalid" finding is reported
    And the gate allows "sales.orders"
    And the gate exits 0

  Scenario: A waiver for one product does not waive the same rule on another
    Given a valid product "sales.returns" with
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
    When the gate decides
    Then "structure.enum" for "sales.orders" is waived
    And "structure.enum" for "sales.returns" is not waived
    And the gate allows "sales.orders"
    And the gate blocks "sales.returns"

  Scenario: An expired waiver does not apply and is reported
    Given the file "waivers.yaml" contains
      """
      waivers:
        - rule: structure.enum
          product: sales.orders
          reason: snapshot loads are being migrated to lot by the platform team
          approved_by: governance-board@example.com
          expires: 2026-05-31
      """
    When the gate decides
    Then a "waiver.invalid" warning is reported in "waivers.yaml" at line 2
    And the message of "waiver.invalid" in "waivers.yaml" mentions "expired on 2026-05-31"
    And "structure.enum" for "sales.orders" is not waived
    And the gate blocks "sales.orders"

  Scenario: A waiver that expires today still applies
    Given the file "waivers.yaml" contains
      """
      waivers:
        - rule: structure.enum
          product: sales.orders
          reason: last day of the migration window
          approved_by: governance-board@example.com
          expires: 2026-06-01
      """
    When the gate decides
    Then "structure.enum" for "sales.orders" is waived
    And the gate allows "sales.orders"

  Scenario: An expiry with a time and an offset is an instant compared in UTC
    Given the file "waivers.yaml" contains
      """
      waivers:
        - rule: structure.enum
          product: sales.orders
          reason: migration window ends at midnight in Berlin
          approved_by: governance-board@example.com
          expires: 2026-06-01T00:00:00+02:00
      """
    When the gate decides
    Then a "waiver.invalid" warning is reported in "waivers.yaml" at line 2
    And the message of "waiver.invalid" in "waivers.yaml" mentions "expired on 2026-06-01T00:00:00+02:00"
    And "structure.enum" for "sales.orders" is not waived
    And the gate blocks "sales.orders"

  Scenario: An expiry later today in another time zone still applies
    Given the file "waivers.yaml" contains
      """
      waivers:
        - rule: structure.enum
          product: sales.orders
          reason: migration window ends this evening in Chicago
          approved_by: governance-board@example.com
          expires: 2026-06-01T23:00:00-05:00
      """
    When the gate decides
    Then "structure.enum" for "sales.orders" is waived
    And the gate allows "sales.orders"

  Scenario: An expiry with a time but no offset does not apply
    Given the file "waivers.yaml" contains
      """
      waivers:
        - rule: structure.enum
          product: sales.orders
          reason: migration window
          approved_by: governance-board@example.com
          expires: 2026-06-01T23:00:00
      """
    When the gate decides
    Then the message of "input.invalid" in "waivers.yaml" mentions "has no offset"
    And "structure.enum" for "sales.orders" is not waived
    And the gate blocks "sales.orders"

  Scenario: A waiver without an expiry date does not apply
    Given the file "waivers.yaml" contains
      """
      waivers:
        - rule: structure.enum
          product: sales.orders
          reason: snapshot loads are being migrated to lot by the platform team
          approved_by: governance-board@example.com
      """
    When the gate decides
    Then a "waiver.invalid" warning is reported in "waivers.yaml" at line 2
    And the message of "waiver.invalid" in "waivers.yaml" mentions "missing expires"
    And "structure.enum" for "sales.orders" is not waived
    And the gate blocks "sales.orders"

  Scenario: A waiver that expires more than 180 days ahead does not apply
    Given the file "waivers.yaml" contains
      """
      waivers:
        - rule: structure.enum
          product: sales.orders
          reason: snapshot loads are being migrated to lot by the platform team
          approved_by: governance-board@example.com
          expires: 2027-06-01
      """
    When the gate decides
    Then a "waiver.invalid" warning is reported in "waivers.yaml" at line 2
    And the message of "waiver.invalid" in "waivers.yaml" mentions "more than 180 days ahead"
    And the gate blocks "sales.orders"

  Scenario: The mesh may allow a shorter waiver window
    Given the file "govern.yaml" contains
      """
      waiverMaxDays: 30
      """
    And the file "waivers.yaml" contains
      """
      waivers:
        - rule: structure.enum
          product: sales.orders
          reason: snapshot loads are being migrated to lot by the platform team
          approved_by: governance-board@example.com
          expires: 2026-08-01
      """
    When the gate decides
    Then the message of "waiver.invalid" in "waivers.yaml" mentions "more than 30 days ahead"
    And the gate blocks "sales.orders"

  Scenario: A waiver for a rule that does not exist does not apply
    Given the file "waivers.yaml" contains
      """
      waivers:
        - rule: structure.enum
          product: sales.orders
          reason: snapshot loads are being migrated to lot by the platform team
          approved_by: governance-board@example.com
          expires: 2026-09-30
        - rule: structure.values
          product: sales.orders
          reason: a typo in the rule id
          approved_by: governance-board@example.com
          expires: 2026-09-30
      """
    When the mesh is checked
    Then a "waiver.invalid" warning is reported in "waivers.yaml" at line 7
    And the message of "waiver.invalid" in "waivers.yaml" mentions "unknown rule 'structure.values'"
    And "structure.enum" for "sales.orders" is waived

  Scenario: A waiver for a product that does not exist does not apply
    Given the file "waivers.yaml" contains
      """
      waivers:
        - rule: structure.enum
          product: sales.order
          reason: a typo in the product id
          approved_by: governance-board@example.com
          expires: 2026-09-30
      """
    When the gate decides
    Then a "waiver.invalid" warning is reported in "waivers.yaml" at line 2
    And the message of "waiver.invalid" in "waivers.yaml" mentions "unknown product 'sales.order'"
    And "structure.enum" for "sales.orders" is not waived
    And the gate blocks "sales.orders"

  Scenario: A waiver without an approver does not apply
    Given the file "waivers.yaml" contains
      """
      waivers:
        - rule: structure.enum
          product: sales.orders
          reason: nobody signed this off
          expires: 2026-09-30
      """
    When the gate decides
    Then the message of "waiver.invalid" in "waivers.yaml" mentions "missing approved_by"
    And the gate blocks "sales.orders"

  Scenario: A waived warning is still shown, marked waived
    Given a valid product "sales.returns" with
      """
      description: null
      """
    And the file "waivers.yaml" contains
      """
      waivers:
        - rule: documentation.description
          product: sales.returns
          reason: description follows the data model review
          approved_by: governance-board@example.com
          expires: 2026-07-15
      """
    When the mesh is checked
    Then a documentation warning "documentation.description" is reported for "sales.returns"
    And "documentation.description" for "sales.returns" is waived
