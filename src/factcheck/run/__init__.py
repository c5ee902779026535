"""Executing notebooks: the one executor (as a reader runs a download), its cache, scrubbing, versions."""
