"""Sổ Kiểm Tra: field app for CCHC inspection teams."""

__version__ = "0.1.0"
