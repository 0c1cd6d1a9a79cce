"""Stage 5, publishing: executing notebooks, rendering pages, the PDF, the Excel export and the build."""
