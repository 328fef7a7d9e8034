"""Problems found in configuration files, collected as data and formatted by a reporter.

Modelled on check-jsonschema: checks never print or raise on bad input; they return ``Problem`` records, and
``format_text`` / ``format_json`` turn them into output.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass

from storyexport.textsafe import for_terminal


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    col: int
    message: str
    json_path: str = "$"

    def format(self) -> str:
        """One line for people; control characters from the file's values are shown as escapes."""
        return for_terminal(f"{self.file}:{self.line}:{self.col}: {self.message} (at {self.json_path})", False)


class ConfigError(Exception):
    """Raised when configuration cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__(self.problems[0].format() if self.problems else "invalid configuration")

    def one_line(self) -> str:
        first = self.problems[0].format() if self.problems else "invalid configuration"
        more = len(self.problems) - 1
        if not more:
            return first
        return f"{first} (and {more} more problem{'s' if more > 1 else ''}; run 'storyexport validate')"


def format_text(problems: list[Problem]) -> str:
    return "\n".join(p.format() for p in sorted(problems))


def format_json(problems: list[Problem]) -> str:
    return json.dumps({"valid": not problems, "problems": [asdict(p) for p in sorted(problems)]}, indent=2)


def print_problems(problems: list[Problem]) -> None:
    """One line per problem on stderr: how every command reports a manifest that cannot be used."""
    for problem in problems:
        print(problem.format(), file=sys.stderr)
