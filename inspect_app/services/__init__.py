"""Rules and use cases: plain functions over the data-access layer, no HTTP."""
