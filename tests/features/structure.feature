Feature: Structure standard
  Every data product states how its data changes over time: lot (each delivery replaces the
  whole), set (keyed rows are upserted) or append (immutable rows are added).

  Background:
    Given the standard org.yaml

  Scenario Outline: A product that states a known structure passes
    Given a valid product "sales.orders" with
      """
      structure: <structure>
      """
    When the mesh is checked
    Then no structure finding is reported for "sales.orders"

    Examples:
      | structure |
      | lot       |
      | set       |
      | append    |

  Scenario: A product that does not state its structure fails
    Given a valid product "sales.orders" with
      """
      structure: null
      """
    When the gate decides
    Then a structure error "structure.required" is reported for "sales.orders"
    And "structure.enum" is not reported for "sales.orders"
    And the gate blocks "sales.orders"

  Scenario: A product that states an unknown structure fails
    Given a valid product "sales.orders" with
      """
      structure: snapshot
      """
    When the mesh is checked
    Then a structure error "structure.enum" is reported for "sales.orders"
    And the message of "structure.enum" for "sales.orders" mentions "'snapshot'"
