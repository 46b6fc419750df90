Feature: Tombstoning standard
  Data products are not deleted: at the end of their life they are tombstoned. A tombstoned product
  records when and why; nobody reads a retired or tombstoned product; and a tombstoned id stays
  reserved for ever, so that an old address never points at new data.

  Background:
    Given the standard org.yaml

  Scenario: A tombstoned product with a complete tombstone record passes
    Given a valid product "crm.customers_v0" with
      """
      lifecycle:
        state: tombstoned
        events:
          - {state: init, at: 2023-01-09}
          - {state: active, at: 2023-02-06}
          - {state: deprecated, at: 2024-05-06}
          - {state: retired, at: 2024-11-04}
          - {state: tombstoned, at: 2025-05-05}
        sunset: 2024-11-04
        reason: merged into crm.customers
      tombstone: {at: 2025-05-05, reason: merged into crm.customers}
      """
    When the mesh is checked
    Then no tombstoning finding is reported for "crm.customers_v0"

  Scenario: A tombstoned product without a tombstone record fails
    Given a valid product "crm.customers_v0" with
      """
      lifecycle:
        state: tombstoned
        events:
          - {state: init, at: 2023-01-09}
          - {state: active, at: 2023-02-06}
          - {state: deprecated, at: 2024-05-06}
          - {state: retired, at: 2024-11-04}
          - {state: tombstoned, at: 2025-05-05}
        sunset: 2024-11-04
        reason: merged into crm.customers
      """
    When the gate decides
    Then a tombstoning error "tombstoning.record-required" is reported for "crm.customers_v0"
    And the gate blocks "crm.customers_v0"

  Scenario: A tombstone record that does not say why fails
    Given a valid product "crm.customers_v0" with
      """
      lifecycle:
        state: tombstoned
        events:
          - {state: init, at: 2023-01-09}
          - {state: active, at: 2023-02-06}
          - {state: deprecated, at: 2024-05-06}
          - {state: retired, at: 2024-11-04}
          - {state: tombstoned, at: 2025-05-05}
        sunset: 2024-11-04
        reason: merged into crm.customers
      tombstone: {at: 2025-05-05}
      """
    When the mesh is checked
    Then a tombstoning error "tombstoning.record-required" is reported for "crm.customers_v0"
    And the message of "tombstoning.record-required" for "crm.customers_v0" mentions "reason"

  Scenario: Reading an active product passes
    Given a valid product "crm.customers"
    And a valid consumer "sales.orders" reading "crm.customers"
    When the mesh is checked
    Then "tombstoning.consume-retired" is not reported for "sales.orders"

  Scenario Outline: Reading a retired or tombstoned product fails
    Given a valid product "crm.customers_v0" with
      """
      lifecycle:
        state: <state>
        events: <events>
        sunset: 2024-11-04
        reason: merged into crm.customers
      tombstone: {at: 2025-05-05, reason: merged into crm.customers}
      """
    And a valid consumer "sales.orders" reading "crm.customers_v0"
    When the gate decides
    Then a tombstoning error "tombstoning.consume-retired" is reported for "sales.orders"
    And the message of "tombstoning.consume-retired" for "sales.orders" mentions "which is <state>"
    And the gate blocks "sales.orders"

    Examples:
      | state      | events                                                                                                                                                                   |
      | retired    | [{state: init, at: 2023-01-09}, {state: active, at: 2023-02-06}, {state: deprecated, at: 2024-05-06}, {state: retired, at: 2024-11-04}]                                  |
      | tombstoned | [{state: init, at: 2023-01-09}, {state: active, at: 2023-02-06}, {state: deprecated, at: 2024-05-06}, {state: retired, at: 2024-11-04}, {state: tombstoned, at: 2025-05-05}] |

  Scenario: A tombstoned id that nobody reuses passes
    Given a valid product "crm.customers_v0" with
      """
      lifecycle:
        state: tombstoned
        events:
          - {state: init, at: 2023-01-09}
          - {state: active, at: 2023-02-06}
          - {state: deprecated, at: 2024-05-06}
          - {state: retired, at: 2024-11-04}
          - {state: tombstoned, at: 2025-05-05}
        sunset: 2024-11-04
        reason: merged into crm.customers
      tombstone: {at: 2025-05-05, reason: merged into crm.customers}
      """
    And a valid product "crm.customers"
    When the mesh is checked
    Then no "tombstoning.id-reserved" finding is reported

  Scenario: A new product that reuses a tombstoned id fails
    Given a valid product "crm.customers_v0" with
      """
      lifecycle:
        state: tombstoned
        events:
          - {state: init, at: 2023-01-09}
          - {state: active, at: 2023-02-06}
          - {state: deprecated, at: 2024-05-06}
          - {state: retired, at: 2024-11-04}
          - {state: tombstoned, at: 2025-05-05}
        sunset: 2024-11-04
        reason: merged into crm.customers
      tombstone: {at: 2025-05-05, reason: merged into crm.customers}
      """
    And a valid product "crm.customers_v0" at "crm/customers_v0_new/dataproduct.yaml" with
      """
      description: A new customer table that took a free-looking id
      """
    When the mesh is checked
    Then a tombstoning error "tombstoning.id-reserved" is reported for "crm.customers_v0"
    And "tombstoning.id-reserved" is reported for "crm.customers_v0" in "crm/customers_v0_new/dataproduct.yaml"
    And "tombstoning.id-reserved" is reported for "crm.customers_v0" at line 2
    And the message of "tombstoning.id-reserved" for "crm.customers_v0" mentions "crm/customers_v0/dataproduct.yaml"
    And "namespace.unique-id" is not reported for "crm.customers_v0"
