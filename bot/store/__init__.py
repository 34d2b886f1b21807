"""What the bot remembers, in one database: the tables (tables.py) and one repository per
concern (event dedupe and answered threads, feedback, tips shown, the daily-quote ledger)."""
