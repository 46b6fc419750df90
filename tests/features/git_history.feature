Feature: Standards checked against git history (govern gate --base main)
  Some standards can only be checked against history. When a branch is gated with --base main,
  every product it changes is compared with the same product on main (at the point where the
  branch started): its lifecycle moves one step forward at most, it is never deleted, a tombstoned
  id never comes back, and its output ports change only with the matching version bump.

  Background:
    Given the standard org.yaml
    And a valid product "sales.orders"
    And a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {job: "airflow:finance/revenue_daily", code: [revenue.sql]}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      SELECT id FROM analytics.sales_prod.orders
      """
    And the mesh is committed on the main branch

  # lifecycle.transition-since-base

  Scenario: Deprecating an active product is one step forward and passes
    Given a branch "feature" is started from main
    And a valid product "sales.orders" with
      """
      lifecycle:
        state: deprecated
        sunset: 2026-12-31
        reason: replaced by the order events stream
        events:
          - {state: init, at: 2025-01-10}
          - {state: active, at: 2025-02-01}
          - {state: deprecated, at: 2026-05-01}
      """
    When the branch is committed and gated against main
    Then "lifecycle.transition-since-base" is not reported for "sales.orders"
    And no lifecycle finding is reported for "sales.orders"

  Scenario: Moving an active product straight to tombstoned is refused
    Given a branch "feature" is started from main
    And a valid product "sales.orders" with
      """
      lifecycle:
        state: tombstoned
        events:
          - {state: init, at: 2025-01-10}
          - {state: active, at: 2025-02-01}
          - {state: deprecated, at: 2026-03-01}
          - {state: retired, at: 2026-04-01}
          - {state: tombstoned, at: 2026-05-01}
      tombstone: {at: 2026-05-01, reason: replaced}
      """
    When the branch is committed and gated against main
    Then a lifecycle error "lifecycle.transition-since-base" is reported for "sales.orders"
    And the message of "lifecycle.transition-since-base" for "sales.orders" mentions "skips deprecated, retired"
    And the gate blocks naming "lifecycle.transition-since-base"

  Scenario: A deprecated product cannot become active again
    Given a valid product "sales.orders" with
      """
      lifecycle:
        state: deprecated
        sunset: 2026-12-31
        reason: replaced by the order events stream
        events:
          - {state: init, at: 2025-01-10}
          - {state: active, at: 2025-02-01}
          - {state: deprecated, at: 2026-05-01}
      """
    And the mesh is committed on the main branch
    And a branch "revive" is started from main
    And a valid product "sales.orders"
    When the branch is committed and gated against main
    Then a lifecycle error "lifecycle.transition-since-base" is reported for "sales.orders"
    And the message of "lifecycle.transition-since-base" for "sales.orders" mentions "cannot go back"

  Scenario: Changes made on main after the branch started are not the branch's
    Given a branch "feature" is started from main
    And on main, product "sales.orders" is changed to
      """
      lifecycle:
        state: deprecated
        sunset: 2026-12-31
        reason: replaced by the order events stream
        events:
          - {state: init, at: 2025-01-10}
          - {state: active, at: 2025-02-01}
          - {state: deprecated, at: 2026-05-01}
      """
    And a valid product "sales.orders" with
      """
      description: Completed customer orders, one row per order
      """
    When the branch is committed and gated against main
    Then "lifecycle.transition-since-base" is not reported for "sales.orders"
    And the gate exits 0

  # tombstoning.not-deleted

  Scenario: Deleting a product's manifest is refused
    Given a branch "feature" is started from main
    And the manifest of "sales.orders" is deleted
    When the branch is committed and gated against main
    Then a tombstoning error "tombstoning.not-deleted" is reported for "sales.orders"
    And the message of "tombstoning.not-deleted" for "sales.orders" mentions "was deleted since main"
    And a lineage error "lineage.input-exists" is reported for "finance.revenue"
    And the gate blocks naming "tombstoning.not-deleted"

  Scenario: A deletion is caught before it is committed too
    Given a branch "feature" is started from main
    And the manifest of "sales.orders" is deleted
    When the branch is gated against main without committing
    Then a tombstoning error "tombstoning.not-deleted" is reported for "sales.orders"

  Scenario: Moving a manifest to another folder keeps the product
    Given a branch "feature" is started from main
    And the manifest of "sales.orders" is moved to "sales/core/orders/dataproduct.yaml"
    When the branch is committed and gated against main
    Then "tombstoning.not-deleted" is not reported for "sales.orders"
    And the gate exits 0

  Scenario: Changing a product's id in its manifest deletes the old product
    Given a branch "feature" is started from main
    And a valid product "sales.order_facts" at "sales/orders/dataproduct.yaml" with
      """
      {}
      """
    When the branch is committed and gated against main
    Then a tombstoning error "tombstoning.not-deleted" is reported for "sales.order_facts"
    And the message of "tombstoning.not-deleted" for "sales.order_facts" mentions "sales.orders"
    And the message of "tombstoning.not-deleted" for "sales.order_facts" mentions "renamed to sales.order_facts"

  Scenario: A product that never left init may be removed
    Given a valid product "sales.draft" with
      """
      lifecycle: {state: init, events: [{state: init, at: 2026-05-01}]}
      """
    And the mesh is committed on the main branch
    And a branch "cleanup" is started from main
    And the manifest of "sales.draft" is deleted
    When the branch is committed and gated against main
    Then "tombstoning.not-deleted" is not reported for "sales.draft"
    And the gate exits 0

  # tombstoning.id-resurrected

  Scenario: A tombstoned id cannot come back as a new product
    Given a valid product "sales.legacy_orders" with
      """
      lifecycle:
        state: tombstoned
        events:
          - {state: init, at: 2024-01-10}
          - {state: active, at: 2024-02-01}
          - {state: deprecated, at: 2025-01-01}
          - {state: retired, at: 2025-06-01}
          - {state: tombstoned, at: 2025-12-01}
      tombstone: {at: 2025-12-01, reason: replaced by sales.orders}
      """
    And the mesh is committed on the main branch
    And a branch "reuse" is started from main
    And the manifest of "sales.legacy_orders" is deleted
    And a valid product "sales.legacy_orders" at "sales/legacy_orders_v2/dataproduct.yaml" with
      """
      {}
      """
    When the branch is committed and gated against main
    Then a tombstoning error "tombstoning.id-resurrected" is reported for "sales.legacy_orders"
    And the gate blocks naming "tombstoning.id-resurrected"

  Scenario: A tombstoned product that stays tombstoned passes
    Given a valid product "sales.legacy_orders" with
      """
      lifecycle:
        state: tombstoned
        events:
          - {state: init, at: 2024-01-10}
          - {state: active, at: 2024-02-01}
          - {state: deprecated, at: 2025-01-01}
          - {state: retired, at: 2025-06-01}
          - {state: tombstoned, at: 2025-12-01}
      tombstone: {at: 2025-12-01, reason: replaced by sales.orders}
      """
    And the mesh is committed on the main branch
    And a branch "docs" is started from main
    And a valid product "sales.legacy_orders" with
      """
      description: Orders before 2025 (tombstoned; see sales.orders)
      lifecycle:
        state: tombstoned
        events:
          - {state: init, at: 2024-01-10}
          - {state: active, at: 2024-02-01}
          - {state: deprecated, at: 2025-01-01}
          - {state: retired, at: 2025-06-01}
          - {state: tombstoned, at: 2025-12-01}
      tombstone: {at: 2025-12-01, reason: replaced by sales.orders}
      """
    When the branch is committed and gated against main
    Then no tombstoning finding is reported for "sales.legacy_orders"
    And "lifecycle.transition-since-base" is not reported for "sales.legacy_orders"

  # versioning.breaking-change, versioning.additive-change, versioning.no-downgrade

  Scenario: Dropping a column without a major version bump is refused
    Given a branch "feature" is started from main
    And a valid product "sales.orders" with
      """
      version: 1.1.0
      outputPorts:
        - {name: orders, type: table, location: analytics.sales_prod.orders, classification: internal, columns: []}
      """
    When the branch is committed and gated against main
    Then a versioning error "versioning.breaking-change" is reported for "sales.orders"
    And the message of "versioning.breaking-change" for "sales.orders" mentions "column 'orders.id' removed or renamed"
    And "versioning.breaking-change" is reported for "sales.orders" at line 6
    And the gate blocks naming "versioning.breaking-change"

  Scenario: Dropping a column with a major version bump passes
    Given a branch "feature" is started from main
    And a valid product "sales.orders" with
      """
      version: 2.0.0
      outputPorts:
        - {name: orders, type: table, location: analytics.sales_prod.orders, classification: internal, columns: []}
      """
    When the branch is committed and gated against main
    Then no versioning finding is reported for "sales.orders"
    And the gate exits 0

  Scenario: Changing a column type is a breaking change
    Given a branch "feature" is started from main
    And a valid product "sales.orders" with
      """
      version: 1.0.1
      outputPorts:
        - name: orders
          type: table
          location: analytics.sales_prod.orders
          classification: internal
          columns: [{name: id, type: integer}]
      """
    When the branch is committed and gated against main
    Then a versioning error "versioning.breaking-change" is reported for "sales.orders"
    And the message of "versioning.breaking-change" for "sales.orders" mentions "type changed from string to integer"

  Scenario: Moving an output port to another location is a breaking change
    Given a branch "feature" is started from main
    And a valid product "sales.orders" with
      """
      version: 1.2.0
      outputPorts:
        - name: orders
          type: table
          location: analytics.sales_v2.orders
          classification: internal
          columns: [{name: id, type: string}]
      """
    When the branch is committed and gated against main
    Then a versioning error "versioning.breaking-change" is reported for "sales.orders"
    And the message of "versioning.breaking-change" for "sales.orders" mentions "location changed"

  Scenario: Removing an output port is a breaking change
    Given a branch "feature" is started from main
    And a valid product "sales.orders" with
      """
      version: 1.3.0
      outputPorts:
        - name: order_totals
          type: table
          location: analytics.sales_prod.order_totals
          classification: internal
          columns: [{name: id, type: string}]
      """
    When the branch is committed and gated against main
    Then a versioning error "versioning.breaking-change" is reported for "sales.orders"
    And the message of "versioning.breaking-change" for "sales.orders" mentions "port 'orders' removed"

  Scenario: Adding a column needs at least a minor version bump
    Given a branch "feature" is started from main
    And a valid product "sales.orders" with
      """
      version: 1.0.1
      outputPorts:
        - name: orders
          type: table
          location: analytics.sales_prod.orders
          classification: internal
          columns: [{name: id, type: string}, {name: amount, type: decimal}]
      """
    When the branch is committed and gated against main
    Then a versioning error "versioning.additive-change" is reported for "sales.orders"
    And the message of "versioning.additive-change" for "sales.orders" mentions "column 'orders.amount' added"
    And "versioning.breaking-change" is not reported for "sales.orders"

  Scenario: Adding a column with a minor version bump passes
    Given a branch "feature" is started from main
    And a valid product "sales.orders" with
      """
      version: 1.1.0
      outputPorts:
        - name: orders
          type: table
          location: analytics.sales_prod.orders
          classification: internal
          columns: [{name: id, type: string}, {name: amount, type: decimal}]
      """
    When the branch is committed and gated against main
    Then no versioning finding is reported for "sales.orders"

  Scenario: A version never goes down
    Given a branch "feature" is started from main
    And a valid product "sales.orders" with
      """
      version: 0.9.0
      """
    When the branch is committed and gated against main
    Then a versioning error "versioning.no-downgrade" is reported for "sales.orders"
    And the message of "versioning.no-downgrade" for "sales.orders" mentions "from 1.0.0 at main to 0.9.0"

  Scenario: Before 1.0.0 a minor bump may break
    Given a valid product "sales.orders" with
      """
      version: 0.3.0
      """
    And the mesh is committed on the main branch
    And a branch "zero" is started from main
    And a valid product "sales.orders" with
      """
      version: 0.4.0
      outputPorts:
        - {name: orders, type: table, location: analytics.sales_prod.orders, classification: internal, columns: []}
      """
    When the branch is committed and gated against main
    Then no versioning finding is reported for "sales.orders"

  Scenario: A product still in init at the base may change its ports freely
    Given a valid product "sales.draft" with
      """
      lifecycle: {state: init, events: [{state: init, at: 2026-05-01}]}
      """
    And the mesh is committed on the main branch
    And a branch "draft" is started from main
    And a valid product "sales.draft" with
      """
      lifecycle: {state: init, events: [{state: init, at: 2026-05-01}]}
      outputPorts:
        - {name: draft_v2, type: view, location: analytics.sales_prod.draft_v2, classification: internal, columns: []}
      """
    When the branch is committed and gated against main
    Then no versioning finding is reported for "sales.draft"

  Scenario: Without --base the history rules report nothing
    Given a branch "feature" is started from main
    And the manifest of "sales.orders" is deleted
    When the branch is committed and gated without a base
    Then "tombstoning.not-deleted" is not reported for "sales.orders"
    And a lineage error "lineage.input-exists" is reported for "finance.revenue"
