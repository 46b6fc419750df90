"""The standards: the pack (YAML rules, Cedar policies, versions, lock), the rule language, Python checks.

Imports the layers below it: incremental (the pack cache), analysis, load, model."""
