"""The coaching library: articles to passages to embeddings to a FAISS index, and search.

Nothing here knows about Slack; the bot and the CLI build on these types.
"""
