Feature: Lineage observed in SQL
  A product's declared inputs are a claim; the SQL that builds it is the truth. govern parses every
  file listed in execution.code with the product's SQL dialect, maps each table the SQL reads to the
  product whose output port has that location, and checks what it finds: reads nobody declared,
  declared inputs nobody reads, tables no product owns, prod reading preprod or test data, sensitive
  columns landing in less protected outputs, and SELECT * in prod. Every read seen in SQL is also a
  lineage edge: the lifecycle, tombstoning and access rules for declared inputs apply to it too, and
  their findings point at the SQL file and line.

  Background:
    Given the standard org.yaml
    And a valid product "sales.orders" with
      """
      outputPorts:
        - name: orders
          type: table
          location: analytics.sales_prod.orders
          classification: internal
          columns:
            - {name: id, type: string}
            - {name: customer_id, type: string}
            - {name: amount, type: number}
      """
    And a valid product "crm.customers" with
      """
      outputPorts:
        - name: customers
          type: table
          location: analytics.crm_prod.customers
          classification: restricted
          columns:
            - {name: id, type: string}
            - {name: email, type: string, pii: true}
            - {name: segment, type: string}
      access: {visibility: mesh, readers: [finance-analytics]}
      """

  # --- undeclared dependencies ------------------------------------------------------------------

  Scenario: SQL that reads exactly the declared inputs passes
    Given a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql], dialect: snowflake}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select o.id, o.amount
      from analytics.sales_prod.orders as o
      where o.amount > 0
      """
    When the mesh is checked
    Then no lineage finding is reported for "finance.revenue"
    And no sql finding is reported for "finance.revenue"

  Scenario: SQL that reads a product the manifest does not declare fails at the SQL line
    Given a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql], dialect: snowflake}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select o.id, o.amount, c.segment
      from analytics.sales_prod.orders o
      join analytics.crm_prod.customers c
        on c.id = o.customer_id
      """
    When the mesh is checked
    Then a lineage error "lineage.undeclared-dependency" is reported for "finance.revenue"
    And "lineage.undeclared-dependency" is reported for "finance.revenue" at "finance/revenue/revenue.sql" line 3 column 6
    And the message of "lineage.undeclared-dependency" for "finance.revenue" mentions "crm.customers"

  Scenario: CTE names and subquery aliases are not tables
    Given a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql], dialect: postgres}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      with orders as (select id, amount from analytics.sales_prod.orders),
           big as (select id from orders where amount > 100)
      select b.id, x.total
      from big b
      join (select id, sum(amount) as total from orders group by id) as x on x.id = b.id
      union all
      select id, amount from orders
      """
    When the mesh is checked
    Then no lineage finding is reported for "finance.revenue"

  Scenario: A dbt model's ref() is rendered and checked like a table name
    Given a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql], dialect: duckdb}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      {{ config(materialized='table') }}
      select o.id, o.amount
      from {{ ref('sales.orders') }} o
      {% if is_incremental() %}
      where o.id > (select max(id) from {{ this }})
      {% endif %}
      left join {{ ref('customers') }} c on c.id = o.customer_id
      """
    When the mesh is checked
    Then "lineage.undeclared-dependency" is reported for "finance.revenue" at "finance/revenue/revenue.sql" line 7
    And the message of "lineage.undeclared-dependency" for "finance.revenue" mentions "crm.customers"
    And "lineage.unused-input" is not reported for "finance.revenue"

  # --- unused inputs ------------------------------------------------------------------------------

  Scenario: A declared input that the SQL never reads is reported on the manifest
    Given a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}, {product: crm.customers}]
      execution: {code: [revenue.sql]}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select id, amount from analytics.sales_prod.orders
      """
    When the mesh is checked
    Then a lineage warning "lineage.unused-input" is reported for "finance.revenue"
    And "lineage.unused-input" is reported for "finance.revenue" in "finance/revenue/dataproduct.yaml"
    And the message of "lineage.unused-input" for "finance.revenue" mentions "crm.customers"

  Scenario: Unused inputs are not claimed when the SQL could not be parsed in full
    Given a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}, {product: crm.customers}]
      execution: {code: [revenue.sql]}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select id, amount from analytics.sales_prod.orders;
      select id from where;
      """
    When the mesh is checked
    Then "lineage.unused-input" is not reported for "finance.revenue"
    And an sql error "sql.parse-error" is reported for "finance.revenue"

  # --- unknown tables ------------------------------------------------------------------------------

  Scenario: A table that no product owns is reported
    Given a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql]}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select o.id, o.amount, s.fee
      from analytics.sales_prod.orders o
      join raw.stripe.charges s on s.order_id = o.id
      """
    When the mesh is checked
    Then a lineage warning "lineage.unknown-table" is reported for "finance.revenue"
    And "lineage.unknown-table" is reported for "finance.revenue" at "finance/revenue/revenue.sql" line 3
    And the message of "lineage.unknown-table" for "finance.revenue" mentions "raw.stripe.charges"

  Scenario: Raw sources listed in sql.allowTables are not reported
    Given the file "govern.yaml" contains
      """
      sql:
        allowTables: ["raw.stripe.*"]
      """
    And a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql]}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select o.id, o.amount, s.fee
      from analytics.sales_prod.orders o
      join RAW.Stripe.Charges s on s.order_id = o.id
      """
    When the mesh is checked
    Then "lineage.unknown-table" is not reported for "finance.revenue"

  Scenario: Snowflake folds unquoted names to upper case, so a quoted lower-case name is another table
    Given a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql], dialect: snowflake}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select o.id from ANALYTICS.Sales_Prod.ORDERS o
      union
      select q.id from analytics.sales_prod."orders" q
      """
    When the mesh is checked
    Then "lineage.unknown-table" is reported for "finance.revenue" at "finance/revenue/revenue.sql" line 3
    And "lineage.unused-input" is not reported for "finance.revenue"

  # --- namespaces -----------------------------------------------------------------------------------

  Scenario: A prod product that declares a test product as input leaks across namespaces
    Given a valid product "sales.orders_sample" with
      """
      namespace: test
      """
    And a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders_sample}]
      """
    When the mesh is checked
    Then a lineage error "lineage.namespace-leakage" is reported for "finance.revenue"
    And "lineage.namespace-leakage" is reported for "finance.revenue" in "finance/revenue/dataproduct.yaml"

  Scenario: A prod product whose SQL reads a preprod table leaks across namespaces
    Given a valid product "sales.orders_next" with
      """
      namespace: preprod
      outputPorts:
        - {name: orders_next, type: table, location: analytics.sales_preprod.orders, classification: internal}
      """
    And a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql]}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select id from analytics.sales_prod.orders
      except
      select id from analytics.sales_preprod.orders
      """
    When the mesh is checked
    Then "lineage.namespace-leakage" is reported for "finance.revenue" at "finance/revenue/revenue.sql" line 3
    And the message of "lineage.namespace-leakage" for "finance.revenue" mentions "(sql)"

  Scenario: A preprod product may read test data
    Given a valid product "sales.orders_sample" with
      """
      namespace: test
      """
    And a valid product "finance.revenue" with
      """
      namespace: preprod
      inputs: [{product: sales.orders_sample}]
      """
    When the mesh is checked
    Then "lineage.namespace-leakage" is not reported for "finance.revenue"

  # --- lifecycle, tombstoning and access apply to reads seen in SQL ----------------------------------

  Scenario: Reading a deprecated product past its sunset in SQL fails at the SQL line
    Given a valid product "sales.legacy_orders" with
      """
      lifecycle:
        state: deprecated
        sunset: 2026-03-31
        replacedBy: sales.orders
        events:
          - {state: init, at: 2024-01-10}
          - {state: active, at: 2024-02-01}
          - {state: deprecated, at: 2025-12-01}
      """
    And a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql]}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select id from analytics.sales_prod.orders
      union all
      select id from analytics.sales_prod.legacy_orders
      """
    When the mesh is checked
    Then a lifecycle error "lifecycle.consume-deprecated-past-sunset" is reported for "finance.revenue"
    And "lifecycle.consume-deprecated-past-sunset" is reported for "finance.revenue" at "finance/revenue/revenue.sql" line 3
    And the message of "lifecycle.consume-deprecated-past-sunset" for "finance.revenue" mentions "(sql)"

  Scenario: Reading a tombstoned product in SQL fails even when it is not declared
    Given a valid product "sales.returns" with
      """
      lifecycle:
        state: tombstoned
        events:
          - {state: init, at: 2023-01-10}
          - {state: active, at: 2023-02-01}
          - {state: deprecated, at: 2024-01-01}
          - {state: retired, at: 2024-06-01}
          - {state: tombstoned, at: 2025-01-01}
        sunset: 2024-06-01
        reason: returns are part of sales.orders now
      tombstone: {at: 2025-01-01, reason: merged into sales.orders}
      """
    And a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql]}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select o.id, o.amount - coalesce(r.amount, 0) as net
      from analytics.sales_prod.orders o
      left join analytics.sales_prod.returns r on r.id = o.id
      """
    When the mesh is checked
    Then a tombstoning error "tombstoning.consume-retired" is reported for "finance.revenue"
    And "tombstoning.consume-retired" is reported for "finance.revenue" at "finance/revenue/revenue.sql" line 3

  Scenario: A read seen in SQL is a Cedar read request of the consumer's team
    Given a valid product "logistics.shipments" with
      """
      inputs: [{product: crm.customers}]
      execution: {code: [shipments.sql]}
      outputPorts:
        - {name: shipments, type: table, location: analytics.logistics_prod.shipments, classification: restricted}
      """
    And the file "logistics/shipments/shipments.sql" contains
      """
      select c.id, c.segment
      from analytics.crm_prod.customers c
      """
    When the mesh is checked
    Then an auth error "auth.restricted-read" is reported for "logistics.shipments"
    And "auth.restricted-read" is reported for "logistics.shipments" at "logistics/shipments/shipments.sql" line 2
    And the message of "auth.restricted-read" for "logistics.shipments" mentions "(sql)"

  Scenario: A team granted read access may read restricted data in SQL
    Given a valid product "finance.revenue" with
      """
      inputs: [{product: crm.customers}]
      execution: {code: [revenue.sql]}
      outputPorts:
        - {name: revenue, type: table, location: analytics.finance_prod.revenue, classification: restricted}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select c.id, c.segment from analytics.crm_prod.customers c
      """
    When the mesh is checked
    Then "auth.restricted-read" is not reported for "finance.revenue"

  Scenario: A lineage cycle closed by a read seen only in SQL is found
    Given a valid product "finance.budget" with
      """
      inputs: [{product: finance.revenue}]
      """
    And a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql]}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select o.id from analytics.sales_prod.orders o
      join analytics.finance_prod.budget b on b.id = o.id
      """
    When the mesh is checked
    Then a lineage error "lineage.cycle" is reported for "finance.budget"
    And "lineage.undeclared-dependency" is reported for "finance.revenue" at "finance/revenue/revenue.sql" line 2

  # --- classification downgrade ------------------------------------------------------------------

  Scenario: A pii column from a restricted port landing in an internal port is a downgrade
    Given a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}, {product: crm.customers}]
      execution: {code: [revenue.sql], dialect: bigquery}
      outputPorts:
        - name: revenue
          type: table
          location: analytics.finance_prod.revenue
          classification: internal
          columns:
            - {name: id, type: string}
            - {name: contact, type: string}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      create or replace table analytics.finance_prod.revenue as
      select
        o.id,
        lower(c.email) as contact
      from analytics.sales_prod.orders o
      join analytics.crm_prod.customers c on c.id = o.customer_id
      """
    When the mesh is checked
    Then an sql error "sql.classification-downgrade" is reported for "finance.revenue"
    And "sql.classification-downgrade" is reported for "finance.revenue" at "finance/revenue/revenue.sql" line 4
    And the message of "sql.classification-downgrade" for "finance.revenue" mentions "crm.customers:customers.email (pii, restricted)"

  Scenario: The same column marked pii in the output is not a downgrade
    Given a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}, {product: crm.customers}]
      execution: {code: [revenue.sql]}
      outputPorts:
        - name: revenue
          type: table
          location: analytics.finance_prod.revenue
          classification: internal
          columns:
            - {name: id, type: string}
            - {name: contact, type: string, pii: true}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select o.id, lower(c.email) as contact
      from analytics.sales_prod.orders o
      join analytics.crm_prod.customers c on c.id = o.customer_id
      """
    When the mesh is checked
    Then "sql.classification-downgrade" is not reported for "finance.revenue"

  Scenario: Sensitive data followed through a staging table into a public port is a downgrade
    Given a valid product "marketing.segments" with
      """
      inputs: [{product: crm.customers}]
      execution: {code: [segments.sql], dialect: postgres}
      outputPorts:
        - name: segments
          type: table
          location: analytics.marketing_prod.segments
          classification: public
          columns:
            - {name: segment, type: string}
            - {name: customers, type: number}
      """
    And the file "marketing/segments/segments.sql" contains
      """
      create temporary table stage as
        select segment, id from analytics.crm_prod.customers;
      insert into analytics.marketing_prod.segments (segment, customers)
      select segment, count(id) from stage group by segment;
      """
    When the mesh is checked
    Then "sql.classification-downgrade" is reported for "marketing.segments" at "marketing/segments/segments.sql" line 4
    And the message of "sql.classification-downgrade" for "marketing.segments" mentions "segments.segment (public)"
    And "lineage.unknown-table" is not reported for "marketing.segments"

  Scenario: Internal data without pii may be published
    Given a valid product "marketing.totals" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [totals.sql]}
      outputPorts:
        - {name: totals, type: table, location: analytics.marketing_prod.totals, classification: public}
      """
    And the file "marketing/totals/totals.sql" contains
      """
      select sum(amount) as total from analytics.sales_prod.orders
      """
    When the mesh is checked
    Then "sql.classification-downgrade" is not reported for "marketing.totals"

  # --- SELECT * -------------------------------------------------------------------------------------

  Scenario: SELECT * in a prod product is a warning at its line
    Given a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql], dialect: spark}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select o.id
      from analytics.sales_prod.orders o
      where exists (select * from analytics.sales_prod.orders x where x.id = o.id);
      insert overwrite table analytics.finance_prod.revenue
      select * from analytics.sales_prod.orders;
      """
    When the mesh is checked
    Then an sql warning "sql.select-star" is reported for "finance.revenue"
    And "sql.select-star" is reported for "finance.revenue" at "finance/revenue/revenue.sql" line 5 column 8
    And "sql.select-star" is reported 1 times for "finance.revenue"

  Scenario: SELECT * outside prod is not reported
    Given a valid product "finance.revenue" with
      """
      namespace: preprod
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql]}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select * from analytics.sales_prod.orders
      """
    When the mesh is checked
    Then "sql.select-star" is not reported for "finance.revenue"

  # --- SQL that cannot be analysed ------------------------------------------------------------------

  Scenario: SQL that does not parse is an error at its line and column, and the mesh is still checked
    Given a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql], dialect: postgres}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select id,
             amount
      from analytics.sales_prod.orders
      where amount > 0 group order
      """
    And a valid product "finance.budget" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [budget.sql]}
      """
    And the file "finance/budget/budget.sql" contains
      """
      select id from analytics.crm_prod.customers
      """
    When the mesh is checked
    Then an sql error "sql.parse-error" is reported for "finance.revenue"
    And "sql.parse-error" is reported for "finance.revenue" at "finance/revenue/revenue.sql" line 4 column 18
    And "lineage.undeclared-dependency" is reported for "finance.budget" at "finance/budget/budget.sql" line 1

  Scenario: A dialect that sqlglot does not know is a parse error on the manifest
    Given a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql], dialect: snowflake2}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select id from analytics.sales_prod.orders
      """
    When the mesh is checked
    Then "sql.parse-error" is reported for "finance.revenue" in "finance/revenue/dataproduct.yaml"
    And the message of "sql.parse-error" for "finance.revenue" mentions "snowflake2"

  Scenario: SQL over the size limit is reported as too complex instead of hanging the check
    Given the file "govern.yaml" contains
      """
      sql: {maxNodes: 25}
      """
    And a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [revenue.sql]}
      """
    And the file "finance/revenue/revenue.sql" contains
      """
      select id, amount, amount * 2 as double_amount, amount * 3 as triple_amount, amount * 4 as quadruple
      from analytics.sales_prod.orders
      """
    When the mesh is checked
    Then an sql error "sql.too-complex" is reported for "finance.revenue"
    And the message of "sql.too-complex" for "finance.revenue" mentions "sql.maxNodes"
    And "lineage.unused-input" is not reported for "finance.revenue"

  Scenario: A SQL file that is missing, or that leads outside the mesh, is reported and not read
    Given a valid product "finance.revenue" with
      """
      inputs: [{product: sales.orders}]
      execution: {code: [../../../outside.sql, missing.sql]}
      """
    And the file "../outside.sql" contains
      """
      select id from analytics.crm_prod.customers
      """
    When the mesh is checked
    Then an sql error "sql.code-unreadable" is reported for "finance.revenue"
    And the message of "sql.code-unreadable" for "finance.revenue" mentions "missing.sql' does not exist"
    And "input.outside-root" is reported for "finance.revenue" in "finance/revenue/dataproduct.yaml"
    And "lineage.undeclared-dependency" is not reported for "finance.revenue"
