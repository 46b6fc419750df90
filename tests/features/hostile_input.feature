Feature: Hostile or broken input
  Manifests are written by many teams and edited by hand. A broken file is reported at its file,
  line and field and blocks only what it breaks; nothing a manifest says can make govern read files
  outside the mesh, and two ids that look the same on screen are the same id.

  Background:
    Given the standard org.yaml
    And today is "2026-06-01"

  Scenario: A second "owner:" cannot hide the first one
    Given a valid product "sales.orders"
    And the file "crm/customers/dataproduct.yaml" contains
      """
      kind: DataProduct
      id: crm.customers
      owner:
        person: not an e-mail
      owner:
        group: crm-core
      """
    When the gate decides
    Then a config error "manifest.invalid" is reported at "crm/customers/dataproduct.yaml" line 5
    And the message of "manifest.invalid" at "crm/customers/dataproduct.yaml" mentions "duplicate key 'owner' (first defined on line 3)"
    And the gate allows "sales.orders"
    And the gate exits 1

  Scenario: SQL files named by a manifest must lie inside the mesh
    Given a valid product "sales.orders" with
      """
      execution: {code: [transform.sql, ../../../etc/passwd]}
      """
    When the mesh is checked
    Then a config error "input.outside-root" is reported for "sales.orders"
    And the message of "input.outside-root" for "sales.orders" mentions "'../../../etc/passwd' leaves the mesh root"

  Scenario: SQL files next to the manifest are fine
    Given a valid product "sales.orders" with
      """
      execution: {code: [transform.sql, sql/daily.sql]}
      """
    When the mesh is checked
    Then "input.outside-root" is not reported for "sales.orders"

  Scenario: A symbolic link out of the mesh is not followed, and blocks
    Given a valid product "sales.orders"
    And a symbolic link "sales/shared" to a directory outside the mesh with a failing product "secret.leak"
    When the gate decides
    Then a config error "input.symlink-skipped" is reported at "sales/shared"
    And no finding is reported for "secret.leak"
    And the gate exits 1

  Scenario Outline: Ids that look the same are the same id
    Given a valid product "sales.orders"
    And a valid product "sales.orders" at "sales/orders_copy/dataproduct.yaml" with
      """
      id: <lookalike>
      """
    When the mesh is checked
    Then a namespace error "namespace.unique-id" is reported for "sales.orders"
    And the message of "namespace.unique-id" for "sales.orders" mentions "sales/orders_copy/dataproduct.yaml"

    Examples: Cyrillic, Greek, upper case, full-width letters
      | lookalike     |
      | sales.оrders  |
      | sαles.orders  |
      | SALES.ORDERS  |
      | sales.ｏrders  |

  Scenario: Different ids are not confused
    Given a valid product "sales.orders"
    And a valid product "sales.order"
    When the mesh is checked
    Then "namespace.unique-id" is not reported for "sales.orders"
