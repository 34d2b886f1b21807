"""Block Kit messages built by pure functions from search results: no Slack calls here."""
