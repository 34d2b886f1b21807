"""Leadership Coach: the Slack app and the `coach` command line."""
