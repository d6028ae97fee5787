"""Numbered SQL migrations, applied in order by `inspect_app.db.migrate`."""
