"""Curating the library: turn web pages, PDFs, Word and text files into articles, find
duplicates and stale articles, and edit quotes.yaml. Knows nothing of Slack or the CLI."""
