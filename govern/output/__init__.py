"""Output: renderers (text, JSON, SARIF, JUnit, GitHub, Markdown), scorecards, reports, history, lineage views.

They only read results; they never open a cache."""
