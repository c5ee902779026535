"""Pieces of pages: claim placement, shortcodes, panels and tables, notebook page repairs."""
