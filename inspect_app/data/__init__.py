"""Data files shipped with the package (the official list of administrative units)."""
