"""Stage 1, the report: raw texts and their sources, reading figures, extracting them from prose."""
