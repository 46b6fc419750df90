Feature: Auth standard
  Every output port carries a data classification, and access is decided by Cedar policies.
  Each lineage edge is a read request from the consumer's owning team to the producer; each product
  is a deploy request from its owner to its namespace. Reads are allowed within the mesh unless the
  producer is private, domain-visible or restricted and the reader is neither of its domain (or its
  owner) nor granted in its access.readers. Only a team of a product's domain may deploy it, and a
  product deployed to prod must be owned by a team, not only by a person.

  Background:
    Given the standard org.yaml

  # --- classification and visibility (YAML rules) ---

  Scenario Outline: An output port with a known classification passes
    Given a valid product "sales.orders" with
      """
      outputPorts:
        - {name: orders, type: table, location: analytics.sales_prod.orders, classification: <classification>}
      """
    When the mesh is checked
    Then "auth.classification-required" is not reported for "sales.orders"
    And "auth.classification-enum" is not reported for "sales.orders"

    Examples:
      | classification |
      | public         |
      | internal       |
      | confidential   |
      | restricted     |

  Scenario: An output port without a classification fails
    Given a valid product "sales.orders" with
      """
      outputPorts:
        - {name: orders, type: table, location: analytics.sales_prod.orders, classification: internal}
        - {name: order_events, type: stream, location: kafka.sales.order_events}
      """
    When the mesh is checked
    Then an auth error "auth.classification-required" is reported for "sales.orders"
    And the message of "auth.classification-required" for "sales.orders" mentions "outputPorts[1]"

  Scenario: An output port with an unknown classification fails
    Given a valid product "sales.orders" with
      """
      outputPorts:
        - {name: orders, type: table, location: analytics.sales_prod.orders, classification: secret}
      """
    When the mesh is checked
    Then an auth error "auth.classification-enum" is reported for "sales.orders"
    And the message of "auth.classification-enum" for "sales.orders" mentions "'secret'"

  Scenario Outline: A known visibility passes
    Given a valid product "sales.orders" with
      """
      access: {visibility: <visibility>}
      """
    When the mesh is checked
    Then "auth.visibility-enum" is not reported for "sales.orders"

    Examples:
      | visibility |
      | mesh       |
      | domain     |
      | private    |

  Scenario: An unknown visibility fails
    Given a valid product "sales.orders" with
      """
      access: {visibility: public}
      """
    When the mesh is checked
    Then an auth error "auth.visibility-enum" is reported for "sales.orders"

  Scenario: Read grants to teams of org.yaml pass
    Given a valid product "crm.customers" with
      """
      access: {visibility: private, readers: [sales-data, finance-analytics]}
      """
    When the mesh is checked
    Then "auth.reader-exists" is not reported for "crm.customers"

  Scenario: A read grant to a team that does not exist is flagged
    Given a valid product "crm.customers" with
      """
      access: {visibility: private, readers: [finance-analyitcs]}
      """
    When the gate decides
    Then an auth warning "auth.reader-exists" is reported for "crm.customers"
    And the message of "auth.reader-exists" for "crm.customers" mentions "finance-analyitcs"
    And the gate allows "crm.customers"

  # --- reads, decided by Cedar ---

  Scenario: Reading a mesh-visible product from another domain is allowed
    Given a valid product "crm.customers"
    And a valid consumer "sales.orders" reading "crm.customers"
    When the mesh is checked
    Then no auth finding is reported for "sales.orders"

  Scenario: Without the baseline read permit no read is allowed
    Given a valid product "crm.customers"
    And a valid consumer "sales.orders" reading "crm.customers"
    And the mesh uses a custom standards pack with the rules
      """
      - {id: auth.deploy-baseline, mode: enforce}
      - {id: auth.private-read, mode: enforce}
      """
    When the mesh is checked
    Then an auth error "auth.no-permit" is reported for "sales.orders"
    And the message of "auth.no-permit" for "sales.orders" mentions "sales-data may not read crm.customers"
    And "auth.no-permit" is not reported for "crm.customers"

  Scenario: Reading a private product of another team is denied
    Given a valid product "crm.customers" with
      """
      access: {visibility: private}
      """
    And a valid consumer "sales.orders" reading "crm.customers"
    When the gate decides
    Then an auth error "auth.private-read" is reported for "sales.orders"
    And the message of "auth.private-read" for "sales.orders" mentions "sales-data"
    And "auth.private-read" is reported for "sales.orders" at line 36
    And the gate blocks "sales.orders"

  Scenario: The owning team reads its own private product
    Given a valid product "crm.customers" with
      """
      access: {visibility: private}
      """
    And a valid consumer "crm.accounts" reading "crm.customers"
    When the mesh is checked
    Then no auth finding is reported for "crm.accounts"

  Scenario: A team granted in access.readers reads a private product
    Given a valid product "crm.customers" with
      """
      access: {visibility: private, readers: [sales-data]}
      """
    And a valid consumer "sales.orders" reading "crm.customers"
    When the mesh is checked
    Then no auth finding is reported for "sales.orders"

  Scenario: Reading a domain-visible product from another domain is denied
    Given a valid product "crm.customers" with
      """
      access: {visibility: domain}
      """
    And a valid consumer "sales.orders" reading "crm.customers"
    When the gate decides
    Then an auth error "auth.domain-read" is reported for "sales.orders"
    And the gate blocks "sales.orders"

  Scenario: A team of the same domain reads a domain-visible product
    Given a valid product "crm.customers" with
      """
      access: {visibility: domain}
      """
    And a valid consumer "crm.accounts" reading "crm.customers"
    When the mesh is checked
    Then no auth finding is reported for "crm.accounts"

  Scenario: A team granted in access.readers reads a domain-visible product
    Given a valid product "crm.customers" with
      """
      access: {visibility: domain, readers: [sales-data]}
      """
    And a valid consumer "sales.orders" reading "crm.customers"
    When the mesh is checked
    Then "auth.domain-read" is not reported for "sales.orders"

  Scenario: Reading restricted data without a grant is denied
    Given a valid product "crm.customers" with
      """
      outputPorts:
        - {name: customers, type: table, location: analytics.crm_prod.customers, classification: restricted}
      """
    And a valid consumer "sales.orders" reading "crm.customers"
    When the gate decides
    Then an auth error "auth.restricted-read" is reported for "sales.orders"
    And the message of "auth.restricted-read" for "sales.orders" mentions "without a grant"
    And the gate blocks "sales.orders"

  Scenario: A grant in access.readers allows reading restricted data
    Given a valid product "crm.customers" with
      """
      outputPorts:
        - {name: customers, type: table, location: analytics.crm_prod.customers, classification: restricted}
      access: {visibility: mesh, readers: [sales-data]}
      """
    And a valid consumer "sales.orders" reading "crm.customers" with
      """
      outputPorts:
        - {name: orders, type: table, location: analytics.sales_prod.orders, classification: restricted}
      """
    When the mesh is checked
    Then "auth.restricted-read" is not reported for "sales.orders"
    And "auth.no-permit" is not reported for "sales.orders"

  Scenario: A team of the producer's domain reads its restricted data
    Given a valid product "crm.customers" with
      """
      outputPorts:
        - {name: customers, type: table, location: analytics.crm_prod.customers, classification: restricted}
      """
    And a valid consumer "crm.accounts" reading "crm.customers" with
      """
      outputPorts:
        - {name: accounts, type: table, location: analytics.crm_prod.accounts, classification: restricted}
      """
    When the mesh is checked
    Then "auth.restricted-read" is not reported for "crm.accounts"

  # --- deploys, decided by Cedar ---

  Scenario: A product deployed by a team of its domain is allowed
    Given a valid product "sales.orders"
    When the mesh is checked
    Then no auth finding is reported for "sales.orders"

  Scenario: Without the baseline deploy permit no deploy is allowed
    Given a valid product "sales.orders"
    And the mesh uses a custom standards pack with the rules
      """
      - {id: auth.read-baseline, mode: enforce}
      - {id: auth.deploy-own-domain, mode: enforce}
      """
    When the mesh is checked
    Then an auth error "auth.no-permit" is reported for "sales.orders"
    And the message of "auth.no-permit" for "sales.orders" mentions "sales-data may not deploy sales.orders"

  Scenario: A team outside the product's domain may not deploy it
    Given a valid product "sales.orders" with
      """
      owner: {group: crm-core, person: null}
      """
    When the gate decides
    Then an auth error "auth.deploy-own-domain" is reported for "sales.orders"
    And the message of "auth.deploy-own-domain" for "sales.orders" mentions "crm-core may not deploy sales.orders"
    And "auth.deploy-own-domain" is reported for "sales.orders" at line 7
    And the gate blocks "sales.orders"

  Scenario: A member of a domain team deploys a person-owned product outside prod
    Given a valid product "sales.orders" with
      """
      namespace: preprod
      owner: {group: null, person: ana@example.com}
      """
    When the mesh is checked
    Then no auth finding is reported for "sales.orders"

  Scenario: A product owned only by a person may not be deployed to prod
    Given a valid product "sales.orders" with
      """
      namespace: prod
      owner: {group: null, person: ana@example.com}
      """
    When the gate decides
    Then an auth error "auth.prod-deploy-team" is reported for "sales.orders"
    And "auth.deploy-own-domain" is not reported for "sales.orders"
    And the gate blocks "sales.orders"

  Scenario: A product owned by a team may be deployed to prod
    Given a valid product "sales.orders" with
      """
      namespace: prod
      owner: {group: sales-data, person: null}
      """
    When the mesh is checked
    Then "auth.prod-deploy-team" is not reported for "sales.orders"
