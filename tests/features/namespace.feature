Feature: Namespace standard
  Every data product is deployed to one namespace (prod, preprod or test) and has a globally
  unique address <domain>.<name>, written in lowercase letters, digits and underscores, whose first
  segment is the product's domain.

  Background:
    Given the standard org.yaml

  Scenario Outline: A product deployed to a known namespace passes
    Given a valid product "sales.orders" with
      """
      namespace: <namespace>
      """
    When the mesh is checked
    Then no namespace finding is reported for "sales.orders"

    Examples:
      | namespace |
      | prod      |
      | preprod   |
      | test      |

  Scenario: A product that does not say where it is deployed fails
    Given a valid product "sales.orders" with
      """
      namespace: null
      """
    When the mesh is checked
    Then a namespace error "namespace.required" is reported for "sales.orders"

  Scenario: A product deployed to an unknown namespace fails
    Given a valid product "sales.orders" with
      """
      namespace: production
      """
    When the mesh is checked
    Then a namespace error "namespace.enum" is reported for "sales.orders"
    And the message of "namespace.enum" for "sales.orders" mentions "production"
    And "namespace.enum" is reported for "sales.orders" at line 7

  Scenario: An id of the form <domain>.<name> in lowercase passes
    Given a valid product "sales.order_lines_2024"
    When the mesh is checked
    Then "namespace.id-format" is not reported for "sales.order_lines_2024"

  Scenario Outline: An id that is not a lowercase <domain>.<name> address fails
    Given a valid product "sales.orders" with
      """
      id: <id>
      """
    When the mesh is checked
    Then a namespace error "namespace.id-format" is reported for "<id>"
    And "namespace.id-format" is reported for "<id>" at line 2

    Examples:
      | id                 |
      | sales.Orders       |
      | sales.order-lines  |
      | sales              |
      | sales..orders      |

  Scenario: A product without a domain fails
    Given a valid product "sales.orders" with
      """
      domain: null
      """
    When the mesh is checked
    Then a namespace error "namespace.domain-required" is reported for "sales.orders"

  Scenario: A domain that matches the first segment of the id passes
    Given a valid product "sales.orders"
    When the mesh is checked
    Then "namespace.domain-match" is not reported for "sales.orders"
    And "namespace.domain-required" is not reported for "sales.orders"

  Scenario: A domain that differs from the first segment of the id fails
    Given a valid product "sales.orders" with
      """
      domain: crm
      """
    When the mesh is checked
    Then a namespace error "namespace.domain-match" is reported for "sales.orders"
    And the message of "namespace.domain-match" for "sales.orders" mentions "'sales'"

  Scenario: Products with different ids pass
    Given a valid product "sales.orders"
    And a valid product "sales.order_lines"
    When the mesh is checked
    Then "namespace.unique-id" is not reported for "sales.orders"
    And "namespace.unique-id" is not reported for "sales.order_lines"

  Scenario: Two manifests that claim the same id both fail
    Given a valid product "sales.orders"
    And a valid product "sales.orders" at "sales/orders_copy/dataproduct.yaml" with
      """
      description: A copy someone forgot to rename
      """
    When the mesh is checked
    Then a namespace error "namespace.unique-id" is reported for "sales.orders"
    And "namespace.unique-id" is reported for "sales.orders" in "sales/orders/dataproduct.yaml"
    And "namespace.unique-id" is reported for "sales.orders" in "sales/orders_copy/dataproduct.yaml"
    And the message of "namespace.unique-id" for "sales.orders" mentions "sales/orders_copy/dataproduct.yaml"

  Scenario: Ids that differ only in letter case collide
    Given a valid product "sales.orders"
    And a valid product "sales.orders" at "sales/orders_upper/dataproduct.yaml" with
      """
      id: sales.ORDERS
      """
    When the mesh is checked
    Then a namespace error "namespace.unique-id" is reported for "sales.orders"
    And a namespace error "namespace.unique-id" is reported for "sales.ORDERS"

  # --- unique addresses (mesh-core 1.1.0) ---

  Scenario: Two products that claim one output location are both an error
    Given the file "govern.yaml" contains
      """
      standards: {pack: mesh-core, version: 1.1.0}
      dialect: snowflake
      """
    And a valid product "sales.orders"
    And a valid product "sales.order_copy" with
      """
      outputPorts:
        - {name: copy, type: table, location: ANALYTICS.Sales_Prod.ORDERS, classification: internal}
      """
    When the gate decides
    Then a namespace error "namespace.unique-address" is reported for "sales.orders"
    And a namespace error "namespace.unique-address" is reported for "sales.order_copy"
    And the message of "namespace.unique-address" for "sales.orders" mentions "also claimed by sales.order_copy"
    And the message of "namespace.unique-address" for "sales.order_copy" mentions "claims location 'ANALYTICS.Sales_Prod.ORDERS'"
    And the gate blocks "sales.orders"
    And the gate blocks "sales.order_copy"

  Scenario: A quoted identifier is another table than the unquoted name
    Given the file "govern.yaml" contains
      """
      standards: {pack: mesh-core, version: 1.1.0}
      dialect: snowflake
      """
    And a valid product "sales.orders"
    And a valid product "sales.order_copy" with
      """
      outputPorts:
        - {name: copy, type: table, location: 'analytics.sales_prod."orders"', classification: internal}
      """
    When the gate decides
    Then "namespace.unique-address" is not reported for "sales.orders"
    And the gate allows "sales.orders"
    And the gate allows "sales.order_copy"
