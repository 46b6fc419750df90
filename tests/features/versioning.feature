Feature: Versioning standard
  Every data product carries a semantic version MAJOR.MINOR.PATCH, so that consumers can tell a
  breaking change (major) from an addition (minor) or a fix (patch).

  Background:
    Given the standard org.yaml

  Scenario Outline: A semantic version passes
    Given a valid product "sales.orders" with
      """
      version: "<version>"
      """
    When the mesh is checked
    Then no versioning finding is reported for "sales.orders"

    Examples:
      | version     |
      | 0.1.0       |
      | 1.4.0       |
      | 12.0.3      |
      | 2.0.0-rc.1  |

  Scenario: A product without a version fails
    Given a valid product "sales.orders" with
      """
      version: null
      """
    When the gate decides
    Then a versioning error "versioning.required" is reported for "sales.orders"
    And the gate blocks "sales.orders"

  Scenario Outline: A version that is not MAJOR.MINOR.PATCH fails
    Given a valid product "sales.orders" with
      """
      version: <version>
      """
    When the mesh is checked
    Then a versioning error "versioning.semver" is reported for "sales.orders"
    And the message of "versioning.semver" for "sales.orders" mentions "<shown>"
    And "versioning.semver" is reported for "sales.orders" at line 6

    Examples:
      | version   | shown     |
      | 1.0       | '1.0'     |
      | 2         | '2'       |
      | v1.2.0    | 'v1.2.0'  |
      | "1.2"     | '1.2'     |
      | 1.2.3.4   | '1.2.3.4' |
