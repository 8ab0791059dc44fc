"""The medication catalog, class words and question kinds."""
