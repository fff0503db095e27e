"""PySide6 widgets, table models and dialogs. No wire format here: everything arrives through services."""
