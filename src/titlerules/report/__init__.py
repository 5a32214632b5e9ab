"""Report layer: renders policies and decisions for people (Markdown pages, comparison tables)."""
