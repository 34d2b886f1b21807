"""The terminal coach that `make run` starts when no Slack tokens are set.

It answers exactly as the bot does (same library, same search), so content can be tried
before the Slack app exists. Works interactively and with piped input.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from bot.coach import Coach, cut_sentence, cut_topic
from bot.render_text import citation, render_quote, render_result
from bot.small_talk import SmallTalk, small_talk
from index.tips import tip_text
from index.types import Quote

CONSOLE_USER = "console"  # whose tips are remembered (in memory) so they do not repeat

HELP = """Ask any sales-leadership question, e.g. "how do I motivate my reps?"
Commands:
  /leadership-tip [topic]   one short tip (on a topic, or a surprise)
  /leadership-tip help      how tips work
  /quote                    today's leadership quote
  /help                     this help
  /quit                     leave (or Ctrl-D)"""
WELCOME = "You're welcome! Ask me anything else about leading your team, or /leadership-tip."


class Console:
    """One person at a terminal, asking the same coach the Slack app uses."""

    def __init__(
        self,
        coach: Coach,
        *,
        todays_quote: Callable[[], Quote | None],
        out: TextIO | None = None,
    ) -> None:
        self.coach = coach
        self.todays_quote = todays_quote
        self.out = out or sys.stdout

    def say(self, text: str) -> None:
        self.out.write(text.rstrip() + "\n\n")
        self.out.flush()

    def handle(self, line: str) -> bool:
        """Answer one line; False when the person asked to leave."""
        line = line.strip()
        if not line:
            return True
        command, _, rest = line.partition(" ")
        command = command.lower()
        if command in ("/quit", "/exit", "quit", "exit"):
            return False
        if command in ("/help", "help", "?"):
            self.say(HELP)
        elif command in ("/leadership-tip", "/tip"):
            self.tip(rest.strip())
        elif command == "/quote":
            quote = self.todays_quote()
            self.say(render_quote(quote) if quote else "No quotes in the library yet.")
        elif command.startswith("/"):
            self.say(f"Unknown command {command}. Type /help for what I can do.")
        else:
            self.answer(line)
        return True

    def answer(self, question: str) -> None:
        """As the Slack app answers: a greeting gets the help and a thanks "you're welcome"
        (both were searched: "hi" got "I couldn't find anything"), anything else a search."""
        talk = small_talk(question)
        if talk is SmallTalk.HELP:
            self.say(HELP)
        elif talk is SmallTalk.THANKS:
            self.say(WELCOME)
        else:
            result = self.coach.search(question)
            self.say(render_result(result, self.coach.topics[:6]))

    def tip(self, topic: str) -> None:
        if topic.lower() == "help":
            self.say(
                "/leadership-tip gives one short tip from the library with its source.\n"
                "/leadership-tip feedback  -> a tip on a topic\n"
                "/leadership-tip           -> a different tip each time\n"
                "Topics: " + ", ".join(self.coach.topics[:10])
            )
            return
        topic, cut = cut_topic(topic)  # as in Slack: the first part, and said so
        note = f"\n({cut_sentence(topic)})" if cut else ""
        picked = self.coach.pick_tip(CONSOLE_USER, topic or None)
        if picked is None:
            if not topic:
                self.say("The library is empty.")
                return
            self.say(
                f"I have no tip on “{topic}”. Try one of: "
                + ", ".join(self.coach.topics[:6])
                + note
            )
            return
        passage = picked[0]
        self.say(f"Tip: {tip_text(passage)}\n   — {citation(passage.article)}{note}")

    def run(self, stdin: TextIO | None = None) -> int:
        stdin = stdin or sys.stdin
        interactive = stdin.isatty()
        if interactive:
            self.out.write("Leadership Coach (console). Type a question, /help, or /quit.\n\n")
        while True:
            if interactive:
                self.out.write("coach> ")
                self.out.flush()
            line = stdin.readline()
            if not line:
                if interactive:
                    self.out.write("\n")
                return 0
            if not interactive and line.strip():
                self.out.write(f"> {line.strip()}\n")
            if not self.handle(line):
                return 0
