Feature: Lifecycle standard
  A data product moves init -> active -> deprecated -> retired -> tombstoned, one step at a time and
  never back. Its events are listed oldest first and its state is the state of its latest event.
  A deprecated product announces a sunset date and names its replacement or the reason there is none.
  Reading a deprecated product is flagged before its sunset and refused after it.

  Background:
    Given the standard org.yaml
    And today is "2026-06-01"

  Scenario: An active product with a complete history passes
    Given a valid product "sales.orders"
    When the mesh is checked
    Then no lifecycle finding is reported for "sales.orders"

  Scenario: A product that went through every state in order passes
    Given a valid product "sales.orders_v1" with
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
        replacedBy: sales.orders
      tombstone: {at: 2025-05-05, reason: replaced by sales.orders}
      """
    And a valid product "sales.orders"
    When the mesh is checked
    Then no lifecycle finding is reported for "sales.orders_v1"

  Scenario: A product that does not state its lifecycle state fails
    Given a valid product "sales.orders" with
      """
      lifecycle: {state: null}
      """
    When the mesh is checked
    Then a lifecycle error "lifecycle.state-required" is reported for "sales.orders"

  Scenario: A product in an unknown lifecycle state fails
    Given a valid product "sales.orders" with
      """
      lifecycle:
        state: archived
        events:
          - {state: init, at: 2025-01-10}
          - {state: archived, at: 2025-02-01}
      """
    When the mesh is checked
    Then a lifecycle error "lifecycle.state-enum" is reported for "sales.orders"
    And the message of "lifecycle.state-enum" for "sales.orders" mentions "'archived'"

  Scenario: Lifecycle events with known states pass
    Given a valid product "sales.orders"
    When the mesh is checked
    Then "lifecycle.event-state-enum" is not reported for "sales.orders"
    And "lifecycle.state-enum" is not reported for "sales.orders"

  Scenario: A lifecycle event that enters an unknown state fails
    Given a valid product "sales.orders" with
      """
      lifecycle:
        events:
          - {state: init, at: 2025-01-10}
          - {state: launched, at: 2025-01-20}
          - {state: active, at: 2025-02-01}
      """
    When the mesh is checked
    Then a lifecycle error "lifecycle.event-state-enum" is reported for "sales.orders"
    And the message of "lifecycle.event-state-enum" for "sales.orders" mentions "'launched'"

  Scenario: Events listed oldest first pass
    Given a valid product "sales.orders"
    When the mesh is checked
    Then "lifecycle.events-ordered" is not reported for "sales.orders"

  Scenario: Events out of time order fail
    Given a valid product "sales.orders" with
      """
      lifecycle:
        events:
          - {state: init, at: 2025-03-10}
          - {state: active, at: 2025-02-01}
      """
    When the mesh is checked
    Then a lifecycle error "lifecycle.events-ordered" is reported for "sales.orders"

  Scenario: Each step to the next state is a legal transition
    Given a valid product "sales.orders" with
      """
      lifecycle:
        state: deprecated
        events:
          - {state: init, at: 2025-01-10}
          - {state: active, at: 2025-02-01}
          - {state: deprecated, at: 2026-01-05}
        sunset: 2026-12-31
        reason: the order model is being redesigned
      """
    When the mesh is checked
    Then "lifecycle.transitions" is not reported for "sales.orders"

  Scenario Outline: Skipping a state or going back is an illegal transition
    Given a valid product "sales.orders" with
      """
      lifecycle:
        state: <last>
        events:
          - {state: init, at: 2025-01-10}
          - {state: <middle>, at: 2025-02-01}
          - {state: <last>, at: 2025-09-01}
        sunset: 2026-12-31
        reason: being redesigned
      tombstone: {at: 2025-09-01, reason: redesign}
      """
    When the mesh is checked
    Then a lifecycle error "lifecycle.transitions" is reported for "sales.orders"
    And the message of "lifecycle.transitions" for "sales.orders" mentions "<step>"

    Examples:
      | middle     | last       | step                   |
      | active     | retired    | active → retired       |
      | active     | tombstoned | active → tombstoned    |
      | deprecated | active     | init → deprecated      |
      | active     | init       | active → init          |

  Scenario: A state that matches the latest event passes
    Given a valid product "sales.orders"
    When the mesh is checked
    Then "lifecycle.state-matches-events" is not reported for "sales.orders"

  Scenario: A state that the events never reached fails
    Given a valid product "sales.orders" with
      """
      lifecycle: {state: init}
      """
    When the mesh is checked
    Then a lifecycle error "lifecycle.state-matches-events" is reported for "sales.orders"
    And the message of "lifecycle.state-matches-events" for "sales.orders" mentions "'active'"

  Scenario: A deprecated product with a sunset date and a replacement passes
    Given a valid product "sales.orders_v2"
    And a valid product "sales.orders" with
      """
      lifecycle:
        state: deprecated
        events:
          - {state: init, at: 2025-01-10}
          - {state: active, at: 2025-02-01}
          - {state: deprecated, at: 2026-03-02}
        sunset: 2026-09-30
        replacedBy: sales.orders_v2
      """
    When the mesh is checked
    Then no lifecycle finding is reported for "sales.orders"

  Scenario: A deprecated product without a sunset date fails
    Given a valid product "sales.orders" with
      """
      lifecycle:
        state: deprecated
        events:
          - {state: init, at: 2025-01-10}
          - {state: active, at: 2025-02-01}
          - {state: deprecated, at: 2026-03-02}
        reason: the order model is being redesigned
      """
    When the mesh is checked
    Then a lifecycle error "lifecycle.deprecation-sunset" is reported for "sales.orders"
    And "lifecycle.deprecation-successor" is not reported for "sales.orders"

  Scenario: A deprecated product that gives a reason instead of a replacement passes
    Given a valid product "sales.orders" with
      """
      lifecycle:
        state: deprecated
        events:
          - {state: init, at: 2025-01-10}
          - {state: active, at: 2025-02-01}
          - {state: deprecated, at: 2026-03-02}
        sunset: 2026-09-30
        reason: nobody reads it any more
      """
    When the mesh is checked
    Then "lifecycle.deprecation-successor" is not reported for "sales.orders"

  Scenario: A deprecated product that names neither a replacement nor a reason fails
    Given a valid product "sales.orders" with
      """
      lifecycle:
        state: deprecated
        events:
          - {state: init, at: 2025-01-10}
          - {state: active, at: 2025-02-01}
          - {state: deprecated, at: 2026-03-02}
        sunset: 2026-09-30
      """
    When the mesh is checked
    Then a lifecycle error "lifecycle.deprecation-successor" is reported for "sales.orders"

  Scenario: A replacement that does not exist in the mesh is flagged
    Given a valid product "sales.orders" with
      """
      lifecycle:
        state: deprecated
        events:
          - {state: init, at: 2025-01-10}
          - {state: active, at: 2025-02-01}
          - {state: deprecated, at: 2026-03-02}
        sunset: 2026-09-30
        replacedBy: sales.orders_v3
      """
    When the gate decides
    Then a lifecycle warning "lifecycle.replacement-exists" is reported for "sales.orders"
    And the message of "lifecycle.replacement-exists" for "sales.orders" mentions "sales.orders_v3"
    And the gate allows "sales.orders"

  Scenario: Reading an active product raises no deprecation finding
    Given a valid product "sales.orders"
    And a valid consumer "finance.revenue" reading "sales.orders"
    When the mesh is checked
    Then "lifecycle.consume-deprecated" is not reported for "finance.revenue"
    And "lifecycle.consume-deprecated-past-sunset" is not reported for "finance.revenue"

  Scenario: Reading a deprecated product before its sunset is flagged but allowed
    Given a valid product "sales.orders_v2"
    And a valid product "sales.orders" with
      """
      lifecycle:
        state: deprecated
        events:
          - {state: init, at: 2025-01-10}
          - {state: active, at: 2025-02-01}
          - {state: deprecated, at: 2026-03-02}
        sunset: 2026-09-30
        replacedBy: sales.orders_v2
      """
    And a valid consumer "finance.revenue" reading "sales.orders"
    When the gate decides
    Then a lifecycle warning "lifecycle.consume-deprecated" is reported for "finance.revenue"
    And the message of "lifecycle.consume-deprecated" for "finance.revenue" mentions "sunset 2026-09-30"
    And "lifecycle.consume-deprecated-past-sunset" is not reported for "finance.revenue"
    And the gate allows "finance.revenue"

  Scenario: Reading a deprecated product after its sunset is refused
    Given today is "2026-10-01"
    And a valid product "sales.orders_v2"
    And a valid product "sales.orders" with
      """
      lifecycle:
        state: deprecated
        events:
          - {state: init, at: 2025-01-10}
          - {state: active, at: 2025-02-01}
          - {state: deprecated, at: 2026-03-02}
        sunset: 2026-09-30
        replacedBy: sales.orders_v2
      """
    And a valid consumer "finance.revenue" reading "sales.orders"
    When the gate decides
    Then a lifecycle error "lifecycle.consume-deprecated-past-sunset" is reported for "finance.revenue"
    And the message of "lifecycle.consume-deprecated-past-sunset" for "finance.revenue" mentions "replacement sales.orders_v2"
    And "lifecycle.consume-deprecated" is not reported for "finance.revenue"
    And the gate blocks "finance.revenue"
