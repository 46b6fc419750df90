Feature: Lineage standard
  Lineage covers data and execution. Every input a product declares names an existing product;
  every product names the job that builds it, and a product that reads other products names the
  code that does it. The lineage graph of the mesh has no cycle.

  Background:
    Given the standard org.yaml
    And a valid product "crm.customers"

  Scenario: A product that reads an existing product, with its job and code, passes
    Given a valid consumer "sales.orders" reading "crm.customers"
    When the mesh is checked
    Then "lineage.input-exists" is not reported for "sales.orders"
    And "lineage.job-declared" is not reported for "sales.orders"
    And "lineage.code-declared" is not reported for "sales.orders"
    And "lineage.cycle" is not reported for "sales.orders"

  Scenario: An input that names a product the mesh does not have fails
    Given a valid consumer "sales.orders" reading "crm.customers, crm.clients"
    When the mesh is checked
    Then a lineage error "lineage.input-exists" is reported for "sales.orders"
    And the message of "lineage.input-exists" for "sales.orders" mentions "crm.clients"
    And "lineage.input-exists" is reported for "sales.orders" at line 37

  Scenario: A product that does not name the job that builds it fails
    Given a valid product "sales.orders" with
      """
      execution: {job: null}
      """
    When the mesh is checked
    Then a lineage error "lineage.job-declared" is reported for "sales.orders"

  Scenario: A product without an execution section at all fails
    Given a valid product "sales.orders" with
      """
      execution: null
      """
    When the mesh is checked
    Then a lineage error "lineage.job-declared" is reported for "sales.orders"

  Scenario: A product without inputs needs no code
    Given a valid product "sales.orders"
    When the mesh is checked
    Then "lineage.code-declared" is not reported for "sales.orders"

  Scenario: A product that reads other products but names no code fails
    Given a valid product "sales.orders" with
      """
      inputs:
        - product: crm.customers
      """
    When the mesh is checked
    Then a lineage error "lineage.code-declared" is reported for "sales.orders"

  Scenario: A chain of products without a loop passes
    Given a valid consumer "sales.orders" reading "crm.customers"
    And a valid consumer "finance.revenue" reading "sales.orders"
    When the mesh is checked
    Then no "lineage.cycle" finding is reported

  Scenario: Two products that read each other form a cycle
    Given a valid consumer "sales.orders" reading "finance.revenue"
    And a valid consumer "finance.revenue" reading "sales.orders"
    When the mesh is checked
    Then a lineage error "lineage.cycle" is reported for "finance.revenue"
    And the message of "lineage.cycle" for "finance.revenue" mentions "finance.revenue -> sales.orders -> finance.revenue"

  Scenario: A longer loop is reported as the path of products in it
    Given a valid consumer "sales.orders" reading "crm.accounts"
    And a valid consumer "crm.accounts" reading "finance.revenue"
    And a valid consumer "finance.revenue" reading "sales.orders"
    When the mesh is checked
    Then a lineage error "lineage.cycle" is reported for "crm.accounts"
    And the message of "lineage.cycle" for "crm.accounts" mentions "crm.accounts -> finance.revenue -> sales.orders -> crm.accounts"
