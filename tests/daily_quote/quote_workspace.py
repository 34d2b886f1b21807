"""The daily quote tests' workspace, as tests/slack_workspace.py is the Slack tests': the
quote channel's id and the bot token (a secret: no log line may hold it)."""

CHANNEL = "CQUOTES"
TOKEN = "xoxb-test-daily-quote-secret"
