"""Prompts: what a program leaves unfinished when it waits for input, and how a printed line is
matched with them taken off. Pure (text in, answers out); the terminal driver feeds it.

A prompt is learned during the run and ignored where it reappears at the start or the end of a
printed line: threads print a prompt before or after a message line, sometimes twice.
"""
from __future__ import annotations

import re
from collections import Counter

ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
MAX_PROMPT = 4096              # a longer unfinished line is output on its way, not a prompt
MAX_PROMPTS = 16               # prompts learned at most (a real program has one or two)
PROMPT_MARKS = re.compile(r"[^\w]*")   # prompt characters alone ("> ", ">>> ") may stand before a line
PROMPT_END_CHARS = ":>$?#"     # what a prompt ends with (before its space)
PROMPT_END = re.compile(f"[{re.escape(PROMPT_END_CHARS)}](?=\\s|$)")


def clean(text: str) -> str:
    """The text as a person reads it: colour codes gone, line ends normalised."""
    return ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "")


def without_prompts(line: str, prompts=()) -> set[str]:
    """The line trimmed, and every form of it left after taking learned prompts off its start or end
    (threads print a prompt before or after a message line, sometimes twice)."""
    forms, todo = set(), [line.strip()]
    while todo and len(forms) < 64:
        form = todo.pop()
        if form in forms:
            continue
        forms.add(form)
        for prompt in prompts:
            if form.startswith(prompt):
                todo.append(form[len(prompt):].strip())
            if form.endswith(prompt):
                todo.append(form[:-len(prompt)].strip())
    return forms


def line_matches(line: str, expected, prompts=()) -> bool:
    """Equal once trimmed and rid of learned prompts; a run of prompt characters may stand before it,
    and a prompt that was never learned (it never stood alone) after it: print() writes a message and
    its newline apart, so another thread's `input("> ")` lands at the end of the line now and then.
    Any other text on the line fails. `expected` may be a tuple of accepted texts."""
    if isinstance(expected, tuple):
        return any(line_matches(line, e, prompts) for e in expected)
    if expected not in line:   # every form is a piece of the line: the cheap test first (floods)
        return False
    for form in without_prompts(line, prompts):
        at = form.find(expected)
        while at >= 0:
            before, after = form[:at], form[at + len(expected):]
            if PROMPT_MARKS.fullmatch(before) is not None and (not after or trailing_prompt(after)):
                return True
            at = form.find(expected, at + 1)
    return False


def trailing_prompt(text: str) -> bool:
    """Prompt characters alone that end as a prompt does ("> ", ">>>", "$")."""
    text = text.strip()
    return PROMPT_MARKS.fullmatch(text) is not None and text[-1:] in tuple(PROMPT_END_CHARS)


class PromptLearner:
    """The prompts of one program, learned from its output: what it left unfinished when it waited for
    input, what other output was glued to, and what starts lines and now and then ends one."""

    def __init__(self):
        self.prompts: list[str] = []      # longest first
        self._tails: Counter = Counter()   # unfinished text that other output was glued to -> how often
        self._starts: Counter = Counter()  # line beginnings that end in a prompt mark -> how often

    def inside(self, line: str) -> None:
        """A prompt printed in the same moment as other output is never seen on its own: another
        thread's message lands before it, or between a message and the message's newline. Such a
        prompt still starts lines and, now and then, ends one: text ending in a prompt mark that began
        two earlier lines and ends this longer one, glued to the text before it, is learned as a
        prompt. (A message source like `[Server]:` starts many lines but does not end one that way.)"""
        head = line[:200]
        if len(self._starts) < 1000:   # bounded, whatever is printed
            for mark in PROMPT_END.finditer(head):
                self._starts[head[:mark.end()]] += 1
        if line and line[-1] in PROMPT_END_CHARS and len(self.prompts) < MAX_PROMPTS:
            for start in range(max(1, len(line) - 200), len(line)):
                # glued straight to the text before it, as two threads' writes are
                if line[start - 1].isspace() or line[start].isspace():
                    continue
                tail = line[start:]
                if self._starts.get(tail, 0) >= 2 and not line.startswith(tail):
                    self.learn(tail)
                    return

    def glued(self, tail: str, lines: list[str]) -> None:
        """Text was left unfinished and other output glued to it (not a newline of its own: print()
        unbuffered writes the text and its newline apart). That is a prompt where it was the program's
        first output, came twice, or also starts an earlier line: input()'s prompt, with another
        thread's output landing behind it before the program could be seen waiting."""
        if tail and (tail in self._tails or len(self._tails) < 1000):   # bounded, whatever is printed
            self._tails[tail] += 1
            if (self._tails[tail] == 2 or not lines
                    or any(line.lstrip().startswith(tail) for line in lines[-50:])):
                self.learn(tail)

    def learn(self, prompt: str) -> None:
        # bounded: a flood whose chunks end mid-line would otherwise teach a new "prompt" per chunk,
        # and every line is matched against every prompt
        if prompt and prompt not in self.prompts and len(self.prompts) < MAX_PROMPTS:
            self.prompts.append(prompt)
            self.prompts.sort(key=len, reverse=True)
