"""manifest.yaml matches what the code listens for and calls."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yaml"


def test_manifest_declares_what_the_app_uses() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert manifest["display_information"]["name"] == "Leadership Coach"
    # exactly the scopes the code needs: an admin installing the app grants each one
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(
        [
            "app_mentions:read",  # app_mention
            "chat:write",
            "commands",  # /leadership-tip
            "im:history",  # message.im, and conversations.replies of a DM answer
            "im:write",  # conversations.open: Coach me on this as a DM
            "channels:history",  # conversations.replies/history (crash recovery)
            "groups:history",
            "assistant:write",  # assistant.threads.setStatus/setTitle/setSuggestedPrompts
            "chat:write.public",  # "Share in thread" where the bot is not a member
            "reactions:write",  # the :eyes: sign of life
            "channels:read",  # member_joined_channel (the welcome)
            "groups:read",
        ]
    )
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == {
        "app_mention",
        "message.im",
        "app_home_opened",
        "assistant_thread_started",
        "assistant_thread_context_changed",
        "member_joined_channel",
    }
    assert manifest["features"]["assistant_view"]["assistant_description"]
    [shortcut] = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", "coach_me")
    assert shortcut["name"] == "Coach me on this"
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == ["/leadership-tip"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True


def test_every_listener_is_backed_by_the_manifest(shipped_library: object) -> None:
    from bot.slack.listeners.commands.leadership_tip import register  # noqa: F401

    listeners = MANIFEST.parent / "bot" / "slack" / "listeners"
    source = "".join(p.read_text() for p in listeners.rglob("*.py"))
    manifest = yaml.safe_load(MANIFEST.read_text())
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        name = event.split(".")[0]
        if name.startswith("assistant_thread_"):  # Bolt's Assistant middleware takes these
            assert f"@assistant.{name.removeprefix('assistant_')}" in source
            continue
        assert f'app.event("{name}"' in source  # (with or without listener middleware)
    for shortcut in manifest["features"]["shortcuts"]:
        assert shortcut["callback_id"] == "coach_me"
        assert "app.message_shortcut(SHORTCUT_COACH_ME)" in source
    for command in manifest["features"]["slash_commands"]:
        assert f'app.command("{command["command"]}")' in source
