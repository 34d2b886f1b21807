"""Everything that speaks Slack: the Bolt app, serving it, the Web API client, Block Kit
messages and the listeners. The coaching itself (bot.coach) knows nothing of Slack."""
