"""Stage 4, showing: number formats, narration with sources, tables, charts, fonts, widgets, notebook set-up."""
