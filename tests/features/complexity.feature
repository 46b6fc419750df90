Feature: Complexity standard
  Every data product states its complexity: simple (one source, light transformation) or
  complex (several sources, business logic).

  Background:
    Given the standard org.yaml

  Scenario Outline: A product that states a known complexity passes
    Given a valid product "sales.orders" with
      """
      complexity: <complexity>
      """
    When the mesh is checked
    Then no complexity finding is reported for "sales.orders"

    Examples:
      | complexity |
      | simple     |
      | complex    |

  Scenario: A product that does not state its complexity fails
    Given a valid product "sales.orders" with
      """
      complexity: null
      """
    When the gate decides
    Then a complexity error "complexity.required" is reported for "sales.orders"
    And "complexity.enum" is not reported for "sales.orders"
    And the gate blocks "sales.orders"

  Scenario: A product that states an unknown complexity fails
    Given a valid product "sales.orders" with
      """
      complexity: very-complex
      """
    When the mesh is checked
    Then a complexity error "complexity.enum" is reported for "sales.orders"
    And the message of "complexity.enum" for "sales.orders" mentions "'very-complex'"
