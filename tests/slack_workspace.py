"""The stub Slack workspace every Slack test talks to: its ids, tokens and signing secret
(fake values, shaped like Slack's, so log-safety checks see token-like strings)."""

BOT_TOKEN = "xoxb-1111-2222-testbottokensecret"
APP_TOKEN = "xapp-1-A111-222-testapptokensecret"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_USER = "UCOACHBOT"
TEAM = "T0STUB"
API_APP = "A0COACH"
