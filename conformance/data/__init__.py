"""Data files of the conformance package (the requirement catalogue)."""
