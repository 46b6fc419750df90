Feature: Governing what teams already have
  Teams describe their data in dbt projects, ODCS data contracts, ODPS data products and OpenLineage
  events. govern maps each into the same product model, so every global standard applies unchanged,
  and each finding points into the team's own file: a line for YAML documents, a JSON pointer for
  JSON documents (dbt's manifest.json, OpenLineage events).

  Background:
    Given today is "2026-06-01"

  # ---------------------------------------------------------------- dbt manifest.json
  Rule: A dbt project's manifest.json is governed model by model

    Background:
      Given the dbt project of the test fixtures

    Scenario: Models, sources and exposures of the manifest become products
      When the mesh is checked
      Then the product "sales.fct_orders" was imported from dbt
      And the product "crm.crm_raw" was imported from dbt
      And the product "finance.finance_dashboard" was imported from dbt
      And no finding is reported for "sales.fct_orders"
      And no finding is reported for "crm.dim_customers_v2"

    Scenario: namespace - a model's meta names a namespace outside the mesh's namespaces
      When the mesh is checked
      Then a namespace error "namespace.enum" is reported for "finance.bad_ledger"
      And the "namespace.enum" finding for "finance.bad_ledger" points at "/nodes/model.jaffle_mesh.bad_ledger/config/meta/namespace" in "target/manifest.json"

    Scenario: owner - a model with no group and no meta owner has no owner
      When the mesh is checked
      Then an owner error "owner.required" is reported for "misc.scratch_numbers"
      And the "owner.required" finding for "misc.scratch_numbers" points at "/nodes/model.jaffle_mesh.scratch_numbers" in "target/manifest.json"
      And an owner error "owner.person-email" is reported for "finance.bad_ledger"

    Scenario: lineage - a source with no loader declares no execution job
      When the mesh is checked
      Then a lineage error "lineage.job-declared" is reported for "sales.shop_raw"
      And "lineage.job-declared" is not reported for "crm.crm_raw"

    Scenario: format, complexity and structure - values from a model's meta are checked against their enums
      When the mesh is checked
      Then a format error "format.enum" is reported for "finance.bad_ledger"
      And a complexity error "complexity.enum" is reported for "finance.bad_ledger"
      And a structure error "structure.enum" is reported for "finance.bad_ledger"
      And the "structure.enum" finding for "finance.bad_ledger" points at "/nodes/model.jaffle_mesh.bad_ledger/config/meta/structure" in "target/manifest.json"

    Scenario: lifecycle - a deprecation_date makes a model deprecated, and its consumers are told
      When the mesh is checked
      Then a lifecycle error "lifecycle.deprecation-successor" is reported for "sales.orders_legacy"
      And the "lifecycle.deprecation-successor" finding for "sales.orders_legacy" points at "/nodes/model.jaffle_mesh.orders_legacy/deprecation_date" in "target/manifest.json"
      And a lifecycle error "lifecycle.consume-deprecated-past-sunset" is reported for "finance.revenue"
      And the "lifecycle.consume-deprecated-past-sunset" finding for "finance.revenue" points at "/nodes/model.jaffle_mesh.revenue/depends_on/nodes/1" in "target/manifest.json"

    Scenario: lifecycle - an older model version is deprecated and replaced by the latest version
      When the mesh is checked
      Then a lifecycle warning "lifecycle.consume-deprecated" is reported for "finance.revenue"
      And the message of "lifecycle.consume-deprecated" for "finance.revenue" mentions "replacement crm.dim_customers_v2"

    Scenario: tombstoning - a model reads a model whose meta says it is retired
      When the mesh is checked
      Then a tombstoning error "tombstoning.consume-retired" is reported for "misc.scratch_numbers"
      And the "tombstoning.consume-retired" finding for "misc.scratch_numbers" points at "/nodes/model.jaffle_mesh.scratch_numbers/depends_on/nodes/0" in "target/manifest.json"

    Scenario: auth - a model reads a protected model of another group of the same dbt project
      # dbt access: protected = any model of the same project may ref it, so dbt's own rule holds
      When the mesh is checked
      Then no auth finding is reported for "sales.commission"

    Scenario: documentation - a model without a description
      When the mesh is checked
      Then a documentation warning "documentation.description" is reported for "finance.bad_ledger"

    Scenario: The domain comes from the folder when govern.yaml says so
      Given the govern.yaml
        """
        importers:
          defaults: {namespace: prod, format: structured, complexity: simple, structure: set, version: 1.0.0}
          dbt: {domain: [folder]}
        """
      When the mesh is checked
      Then the product "crm.stg_customers" was imported from dbt
      And the product "misc.scratch_numbers" was imported from dbt

  # ---------------------------------------------------------------- ODCS data contracts
  Rule: An ODCS data contract that no ODPS product names is a product of its own

    Background:
      Given the standard org.yaml

    Scenario: A complete contract passes every standard
      Given an ODCS contract "crm.customers"
      When the mesh is checked
      Then the product "crm.customers" was imported from odcs
      And no finding is reported for "crm.customers"

    Scenario: A malformed contract is reported with the line of what is malformed
      Given an ODCS contract "crm.customers" with
        """
        schema:
          - name: customers
            properties:
              - {name: id, logicalType: text}
        """
      When the mesh is checked
      Then a config error "manifest.invalid" is reported for "crm.customers"
      And the "manifest.invalid" finding for "crm.customers" points at the line of "schema[0].properties[0].logicalType" in "contracts/crm_customers.odcs.yaml"
      And the message of "manifest.invalid" for "crm.customers" mentions "'text' is not one of"

    Scenario: namespace - the server's environment is not a namespace of the mesh
      Given an ODCS contract "crm.customers" with
        """
        servers:
          - {server: scratch, type: duckdb, environment: dev, database: scratch, schema: crm}
        """
      When the mesh is checked
      Then a namespace error "namespace.enum" is reported for "crm.customers"
      And the "namespace.enum" finding for "crm.customers" points at the line of "servers[0].environment" in "contracts/crm_customers.odcs.yaml"

    Scenario: owner - the team is not a team of org.yaml
      Given an ODCS contract "crm.customers" with
        """
        team: {name: crm-platfrom}
        """
      When the mesh is checked
      Then an owner error "owner.group-exists" is reported for "crm.customers"
      And the "owner.group-exists" finding for "crm.customers" points at the line of "team.name" in "contracts/crm_customers.odcs.yaml"

    Scenario: lineage, format, complexity and structure - custom properties that are missing or wrong
      # complexity is inferred from the properties' types when they all have one; this one has none
      Given an ODCS contract "crm.customers" with
        """
        schema:
          - name: customers
            physicalName: customers
            properties:
              - {name: id, classification: internal}
        customProperties:
          - {property: format, value: tabular}
          - {property: structure, value: append}
        """
      When the mesh is checked
      Then a format error "format.enum" is reported for "crm.customers"
      And the "format.enum" finding for "crm.customers" points at the line of "customProperties[0].value" in "contracts/crm_customers.odcs.yaml"
      And a complexity error "complexity.required" is reported for "crm.customers"
      And a lineage error "lineage.job-declared" is reported for "crm.customers"
      And no structure finding is reported for "crm.customers"

    Scenario: lifecycle - a deprecated contract without a sunset date
      Given an ODCS contract "crm.customers" with
        """
        status: deprecated
        """
      When the mesh is checked
      Then a lifecycle error "lifecycle.deprecation-sunset" is reported for "crm.customers"
      And the "lifecycle.deprecation-sunset" finding for "crm.customers" points at the line of "status" in "contracts/crm_customers.odcs.yaml"

    Scenario: tombstoning - a tombstoned contract without its tombstone record
      Given an ODCS contract "crm.customers" with
        """
        status: tombstoned
        """
      When the mesh is checked
      Then a tombstoning error "tombstoning.record-required" is reported for "crm.customers"

    Scenario: auth - a schema object without a classification
      Given an ODCS contract "crm.customers" with
        """
        schema:
          - name: customers
            physicalName: customers
            properties:
              - {name: id, logicalType: string}
        """
      When the mesh is checked
      Then an auth error "auth.classification-required" is reported for "crm.customers"
      And the "auth.classification-required" finding for "crm.customers" points at the line of "schema[0]" in "contracts/crm_customers.odcs.yaml"

    Scenario: documentation - a contract without a description
      Given an ODCS contract "crm.customers" with
        """
        description: null
        """
      When the mesh is checked
      Then a documentation warning "documentation.description" is reported for "crm.customers"

    Scenario: A native product reads a contract's table: lineage resolves across formats
      Given a valid product "sales.orders" with
        """
        inputs: [{product: crm.customers}]
        execution: {code: [orders.sql]}
        """
      And the file "sales/orders/orders.sql" contains
        """
        select id from analytics.crm_prod.customers
        """
      And an ODCS contract "crm.customers" with
        """
        status: retired
        """
      When the mesh is checked
      Then a tombstoning error "tombstoning.consume-retired" is reported for "sales.orders"
      And "lineage.input-exists" is not reported for "sales.orders"

  # ---------------------------------------------------------------- ODPS data products
  Rule: An ODPS data product is a product; its ports' contracts give their schema

    Background:
      Given the standard org.yaml

    Scenario: A complete product passes every standard
      Given an ODPS product "sales.orders"
      When the mesh is checked
      Then the product "sales.orders" was imported from odps
      And no finding is reported for "sales.orders"

    Scenario: An output port's contract gives the port its columns, and input ports become lineage
      Given an ODCS contract "crm.customers" at "contracts/customers.odcs.yaml" with
        """
        id: 0b7e4f1c-contract-customers
        """
      And an ODPS product "crm.customer_hub" with
        """
        outputPorts:
          - name: customers
            version: 1.0.0
            contractId: 0b7e4f1c-contract-customers
        """
      And an ODPS product "sales.orders" with
        """
        inputPorts:
          - {name: customers, version: 1.0.0, contractId: 0b7e4f1c-contract-customers}
        customProperties:
          - {property: namespace, value: prod}
          - {property: format, value: structured}
          - {property: complexity, value: simple}
          - {property: structure, value: append}
          - {property: job, value: "airflow:sales/orders_daily"}
          - {property: code, value: [orders.sql]}
        """
      And the file "products/orders.sql" contains
        """
        select id from analytics.crm_prod.customers
        """
      When the mesh is checked
      Then the output port "customers" of "crm.customer_hub" has the columns "id"
      And no finding is reported for "crm.customer_hub"
      And no finding is reported for "sales.orders"

    Scenario: namespace, format, complexity, structure - read from documented custom properties
      Given an ODPS product "sales.orders" with
        """
        customProperties:
          - {property: namespace, value: staging}
          - {property: complexity, value: simple}
          - {property: structure, value: lot}
        """
      When the mesh is checked
      Then a namespace error "namespace.enum" is reported for "sales.orders"
      And the "namespace.enum" finding for "sales.orders" points at the line of "customProperties[0].value" in "products/sales_orders.odps.yaml"
      And a format error "format.required" is reported for "sales.orders"
      And a lineage error "lineage.job-declared" is reported for "sales.orders"

    Scenario: owner - a team without a name and no owner among its members
      Given an ODPS product "sales.orders" with
        """
        team: {name: null, members: [{username: ana@example.com, role: analyst}]}
        """
      When the mesh is checked
      Then an owner error "owner.required" is reported for "sales.orders"

    Scenario: lineage - an input port names a contract no product offers
      Given an ODPS product "sales.orders" with
        """
        inputPorts:
          - {name: fx, version: 1.0.0, contractId: treasury-fx-rates}
        """
      When the mesh is checked
      Then a lineage error "lineage.input-exists" is reported for "sales.orders"
      And the "lineage.input-exists" finding for "sales.orders" points at the line of "inputPorts[0].contractId" in "products/sales_orders.odps.yaml"

    Scenario: lifecycle and tombstoning - status maps to the lifecycle state
      Given an ODPS product "sales.orders" with
        """
        status: deprecated
        customProperties:
          - {property: namespace, value: prod}
          - {property: format, value: structured}
          - {property: complexity, value: simple}
          - {property: structure, value: append}
          - {property: job, value: "airflow:sales/orders_daily"}
          - {property: sunset, value: 2026-12-31}
          - {property: replacedBy, value: sales.orders_v2}
        """
      And an ODPS product "finance.revenue" with
        """
        inputPorts: [{name: orders, version: 1.0.0, contractId: sales.orders}]
        outputPorts:
          - name: revenue
            version: 1.0.0
            customProperties:
              - {property: location, value: analytics.finance_prod.revenue}
              - {property: classification, value: internal}
        """
      When the mesh is checked
      Then no lifecycle finding is reported for "sales.orders" except "lifecycle.replacement-exists"
      And a lifecycle warning "lifecycle.consume-deprecated" is reported for "finance.revenue"

    Scenario: tombstoning - a tombstoned product with its record passes, its consumers do not
      Given an ODPS product "sales.orders" with
        """
        status: tombstoned
        customProperties:
          - {property: namespace, value: prod}
          - {property: format, value: structured}
          - {property: complexity, value: simple}
          - {property: structure, value: append}
          - {property: job, value: "airflow:sales/orders_daily"}
          - {property: tombstone, value: {at: 2026-03-01, reason: replaced by sales.orders_v2}}
        """
      And an ODPS product "finance.revenue" with
        """
        inputPorts: [{name: orders, version: 1.0.0, contractId: sales.orders}]
        """
      When the mesh is checked
      Then "tombstoning.record-required" is not reported for "sales.orders"
      And a tombstoning error "tombstoning.consume-retired" is reported for "finance.revenue"

    Scenario: auth and documentation - a port without a classification, a product without a description
      Given an ODPS product "sales.orders" with
        """
        description: {usage: internal reporting}
        outputPorts:
          - name: orders
            version: 1.0.0
            customProperties: [{property: location, value: analytics.sales_prod.orders}]
        """
      When the mesh is checked
      Then an auth error "auth.classification-required" is reported for "sales.orders"
      And no documentation finding is reported for "sales.orders"

  # ---------------------------------------------------------------- OpenLineage events
  Rule: OpenLineage events are what actually ran; they are compared with what the manifests declare

    Background:
      Given the standard org.yaml
      And a valid product "crm.customers"
      And a valid product "sales.orders"

    Scenario: A runtime read that no manifest declares is an undeclared dependency
      Given a run of job "airflow:sales.orders_daily" that reads "analytics.crm_prod.customers" and writes "analytics.sales_prod.orders"
      When the mesh is checked
      Then a lineage error "lineage.undeclared-dependency" is reported for "sales.orders"
      And the "lineage.undeclared-dependency" finding for "sales.orders" points at line 1 of "lineage/events.ndjson"
      And the "lineage.undeclared-dependency" finding for "sales.orders" points at "/inputs/0" in "lineage/events.ndjson"

    Scenario: A declared runtime read is fine
      Given a valid product "sales.orders" with
        """
        inputs: [{product: crm.customers}]
        execution: {code: [orders.sql]}
        """
      And the file "sales/orders/orders.sql" contains
        """
        select id from analytics.crm_prod.customers
        """
      And a run of job "airflow:sales.orders_daily" that reads "analytics.crm_prod.customers" and writes "analytics.sales_prod.orders"
      When the mesh is checked
      Then no finding is reported for "sales.orders"

    Scenario: symlinks resolve a dataset to the port it is an alias of
      Given the dataset "s3://lake/crm/customers" is also known as "analytics.crm_prod.customers"
      And a run of job "spark:sales.orders" that reads "s3://lake/crm/customers" and writes "analytics.sales_prod.orders"
      When the mesh is checked
      Then a lineage error "lineage.undeclared-dependency" is reported for "sales.orders"
      And the "lineage.undeclared-dependency" finding for "sales.orders" points at line 2 of "lineage/events.ndjson"

    Scenario: lineage - a dataset a product still serves and another still reads was dropped
      Given a valid product "sales.orders" with
        """
        inputs: [{product: crm.customers}]
        execution: {code: [orders.sql]}
        """
      And the file "sales/orders/orders.sql" contains
        """
        select id from analytics.crm_prod.customers
        """
      And the dataset "analytics.crm_prod.customers" was dropped
      When the mesh is checked
      Then a lineage error "lineage.dataset-dropped" is reported for "crm.customers"
      And a lineage error "lineage.dataset-dropped" is reported for "sales.orders"
      And the "lineage.dataset-dropped" finding for "crm.customers" points at "/dataset/facets/lifecycleStateChange" in "lineage/events.ndjson"

    Scenario: lineage - a truncated dataset written again afterwards is fine
      Given the dataset "analytics.crm_prod.customers" was truncated
      And a run of job "airflow:crm.customers_daily" that reads "" and writes "analytics.crm_prod.customers"
      When the mesh is checked
      Then "lineage.dataset-dropped" is not reported for "crm.customers"

    Scenario: lineage - a dropped dataset of a retired product is no finding
      Given a valid product "crm.customers" with
        """
        lifecycle:
          state: retired
          events:
            - {state: init, at: 2025-01-10}
            - {state: active, at: 2025-02-01}
            - {state: deprecated, at: 2025-09-01}
            - {state: retired, at: 2026-01-15}
          sunset: 2026-01-01
          replacedBy: crm.customers_v2
        """
      And the dataset "analytics.crm_prod.customers" was dropped
      When the mesh is checked
      Then "lineage.dataset-dropped" is not reported for "crm.customers"

    Scenario: tombstoning and auth - runtime reads obey the same rules as declared ones
      Given a valid product "crm.customers" with
        """
        access: {visibility: private}
        lifecycle:
          state: retired
          events:
            - {state: init, at: 2025-01-10}
            - {state: active, at: 2025-02-01}
            - {state: deprecated, at: 2025-09-01}
            - {state: retired, at: 2026-01-15}
          sunset: 2026-01-01
          replacedBy: crm.customers_v2
        """
      And a run of job "airflow:sales.orders_daily" that reads "analytics.crm_prod.customers" and writes "analytics.sales_prod.orders"
      When the mesh is checked
      Then a tombstoning error "tombstoning.consume-retired" is reported for "sales.orders"
      And an auth error "auth.private-read" is reported for "sales.orders"
      And the message of "auth.private-read" for "sales.orders" mentions "(runtime)"

    Scenario: owner - the ownership facet names another team than the manifest
      Given the dataset "analytics.sales_prod.orders" is owned by "team:finance-analytics" in its events
      When the mesh is checked
      Then an owner warning "owner.observed-mismatch" is reported for "sales.orders"
      And the message of "owner.observed-mismatch" for "sales.orders" mentions "team:finance-analytics"

    Scenario: owner - an ownership facet that agrees with the manifest is no finding
      Given a run of job "airflow:sales.orders_daily" owned by "team:sales-data" that reads "" and writes "analytics.sales_prod.orders"
      When the mesh is checked
      Then "owner.observed-mismatch" is not reported for "sales.orders"

    Scenario: A job that writes data no product owns becomes a product, and the standards apply to it
      Given a run of job "airflow:adhoc.export_emails" owned by "user:mallory" that reads "analytics.crm_prod.customers" and writes "s3://exports/emails.csv"
      When the mesh is checked
      Then the product "airflow.adhoc_export_emails" was imported from openlineage
      And a namespace error "namespace.required" is reported for "airflow.adhoc_export_emails"
      And an owner error "owner.person-email" is reported for "airflow.adhoc_export_emails"
      And the "owner.person-email" finding for "airflow.adhoc_export_emails" points at "/job/facets/ownership" in "lineage/events.ndjson"
      And a format error "format.required" is reported for "airflow.adhoc_export_emails"
      And a complexity error "complexity.required" is reported for "airflow.adhoc_export_emails"
      And a structure error "structure.required" is reported for "airflow.adhoc_export_emails"
      And no lifecycle finding is reported for "airflow.adhoc_export_emails"
      And an auth error "auth.classification-required" is reported for "airflow.adhoc_export_emails"
      And a documentation warning "documentation.description" is reported for "airflow.adhoc_export_emails"

    Scenario: An event that breaks the OpenLineage spec where govern reads it is reported at its line and not used
      Given the file "lineage/bad.ndjson" holds the text
        """
        {"eventTime": "2026-05-01T00:00:00Z", "eventType": "COMPLETE", "job": {"namespace": "airflow"}, "run": {"runId": "0193a7e0-0000-7000-8000-000000000001"}, "producer": "https://example.com/airflow", "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}
        """
      When the mesh is checked
      Then a "input.invalid" error is reported in "lineage/bad.ndjson" at line 1

    Scenario: An event without what only the spec needs (its producer) is a warning, and it is used
      Given the file "lineage/bad.ndjson" holds the text
        """
        {"eventTime": "2026-05-01T00:00:00Z", "eventType": "COMPLETE", "job": {"namespace": "airflow", "name": "x"}, "run": {"runId": "0193a7e0-0000-7000-8000-000000000001"}, "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}
        """
      When the mesh is checked
      Then a "input.invalid" warning is reported in "lineage/bad.ndjson" at line 1
