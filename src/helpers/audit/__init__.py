"""Stage 3, the audit: formulas, derived metrics, consistency checks and year-on-year growth."""
