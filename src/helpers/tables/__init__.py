"""Stage 2, the tables: the indicator catalog, each year's validated indicator table, drafts of new years."""
