"""PySide6 widgets, table models and dialogs. No wire format here: the day's state arrives from the desk (its
notices, read by the presenter and the views), prices from the market store, and actions go back through
commands to the desk."""
