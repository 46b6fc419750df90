Feature: Format standard
  Every data product states its data format: structured (tables, records) or unstructured
  (documents, images, media).

  Background:
    Given the standard org.yaml

  Scenario Outline: A product that states a known format passes
    Given a valid product "sales.orders" with
      """
      format: <format>
      """
    When the mesh is checked
    Then no format finding is reported for "sales.orders"

    Examples:
      | format       |
      | structured   |
      | unstructured |

  Scenario: A product that does not state its format fails
    Given a valid product "sales.orders" with
      """
      format: null
      """
    When the gate decides
    Then a format error "format.required" is reported for "sales.orders"
    And "format.enum" is not reported for "sales.orders"
    And the gate blocks "sales.orders"

  Scenario: A product that states an unknown format fails
    Given a valid product "sales.orders" with
      """
      format: semi-structured
      """
    When the mesh is checked
    Then a format error "format.enum" is reported for "sales.orders"
    And the message of "format.enum" for "sales.orders" mentions "'semi-structured'"
