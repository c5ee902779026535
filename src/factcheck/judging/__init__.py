"""Judging claim sides from executed notebooks: run result types and files, blame of errors, classification."""
