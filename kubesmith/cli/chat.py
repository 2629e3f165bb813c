"""``kubesmith chat``: shape a change in conversation, then open the pull request.

On a terminal: prompt_toolkit input (history kept per repository under ``.git/kubesmith``,
Esc-Enter for a new line, Tab completes slash commands and resource names) and rich output.
When stdin is not a terminal, one line is one turn, so a conversation can be piped in:

    printf 'scale checkout to 3\\nset its memory limit to 512Mi\\n/pr\\ny\\n' | kubesmith chat
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from kubesmith.agent.learning import PreviouslyRejected
from kubesmith.agent.loop import open_agent
from kubesmith.agent.session import COMMANDS, ChatSession, TurnResult, parse_command
from kubesmith.agent.steps import STEPS
from kubesmith.cli._common import console, err_console, handle_errors, repo_option
from kubesmith.cli.render import print_diff, print_findings
from kubesmith.config import load_settings
from kubesmith.errors import EditRejected, KubesmithError

if TYPE_CHECKING:
    from prompt_toolkit.completion import Completer

ReadLine = Callable[[str], str]


def _summary(session: ChatSession) -> None:
    errors = sum(f.severity == "error" for f in session.findings if not f.preexisting)
    warnings = sum(f.severity == "warning" for f in session.findings if not f.preexisting)
    verdict = (
        f"[bold red]{errors} error(s)[/]"
        if errors
        else "[green]valid[/]" + (f", [yellow]{warnings} warning(s)[/]" if warnings else "")
    )
    console.print(f"[bold]{len(session.changes)} pending change(s)[/]: {verdict}")


def _completer(session: ChatSession) -> Completer:
    from prompt_toolkit.completion import WordCompleter

    names = sorted({d.ref.name for d in session.base.workspace.resources})
    return WordCompleter([*COMMANDS, *names], ignore_case=True, sentence=True)


def _terminal_reader(session: ChatSession) -> ReadLine:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    history = session.base.git.git_dir / "kubesmith" / "chat_history"
    history.parent.mkdir(parents=True, exist_ok=True)
    prompt: PromptSession[str] = PromptSession(
        history=FileHistory(str(history)), completer=_completer(session)
    )

    def read(message: str) -> str:
        return prompt.prompt(message)

    return read


def _pipe_reader(lines: Iterable[str]) -> ReadLine:
    it: Iterator[str] = iter(lines)

    def read(message: str) -> str:
        try:
            line = next(it)
        except StopIteration:
            raise EOFError from None
        console.print(f"{message}{line.rstrip()}", markup=False)
        return line.rstrip("\n")

    return read


def _run_command(session: ChatSession, name: str, arg: str, read: ReadLine) -> bool:
    """Carry out a slash command; False ends the session."""
    if name == "/quit":
        return False
    if name == "/help":
        for cmd, what in COMMANDS.items():
            console.print(f"  [cyan]{cmd:10}[/] {what}")
        console.print("  anything else is an intent, e.g. 'scale checkout to 3'")
    elif name == "/diff":
        if session.changes:
            print_diff(console, session.diff())
        else:
            console.print("Nothing pending.")
    elif name == "/validate":
        findings = session.validate()
        print_findings(console, findings) if findings else console.print("[green]No findings.[/]")
        _summary(session)
    elif name == "/undo":
        console.print("Undone." if session.undo() else "Nothing to undo.")
        _summary(session)
    elif name == "/reset":
        session.reset()
        console.print("Pending change dropped.")
    elif name == "/explain":
        for line in session.explain() or ["Nothing pending."]:
            console.print(f"- {escape(line)}")
    elif name == "/cost":
        u = session.usage
        console.print(
            f"{u.calls} model call(s), {u.tokens_in} tokens in, {u.tokens_out} out, "
            f"est. ${u.cost_usd:.4f}"
        )
    elif name == "/feedback":
        if not arg:
            console.print("Usage: /feedback TEXT")
        else:
            session.feedback.append(arg)
            console.print("Noted; it is attached to the pull request when you open it.")
    elif name == "/pr":
        _open_pr(session, arg, read)
    return True


def _confirm(read: ReadLine, question: str) -> bool | None:
    """Whether the user answers ``question`` with y or yes; None when the input ended at the
    question (piped input: said so, instead of ending silently)."""
    try:
        answer = read(question)
    except EOFError:
        console.print(f"{question}(no answer)", markup=False)
        return None
    return answer.strip().lower() in ("y", "yes")


def _open_pr(session: ChatSession, title: str, read: ReadLine) -> None:
    if not session.changes:
        console.print("Nothing to propose yet; describe a change first.")
        return
    blocked = any(f.severity == "error" for f in session.findings)
    question = "Validation fails; open the pull request anyway? [y/N] " if blocked else None
    question = question or f"Open a pull request for {len(session.changes)} change(s)? [y/N] "
    answer = _confirm(read, question)
    if answer is None:
        console.print("Not opened; answer y (the line after /pr) to open it.")
        return
    if not answer:
        console.print("Not opened; keep refining or /pr again.")
        return
    notes = list(session.feedback)
    proposal = session.open_pr(title, force=blocked)
    forge = session.agent.forge
    if proposal.pr is not None and forge is not None:
        for note in notes:
            forge.comment(proposal.pr.id, note)
        session.feedback.clear()
        console.print(
            f"Opened pull request [bold]{proposal.pr.id}[/] on the {proposal.pr.forge} forge "
            f"from {escape(proposal.branch or '')}."
        )
    elif proposal.branch:
        console.print(f"Committed to {escape(proposal.branch)} (no forge configured).")


def _turn(session: ChatSession, line: str, read: ReadLine) -> TurnResult | None:
    """One turn, showing the model's words and tool calls as they happen (LLM planners).

    A change reviewers rejected before is kept only when the user says so; None when not kept.
    """

    def show(step: str) -> None:
        console.print(f"[dim]{escape(step)}[/]")

    token = STEPS.set(show)
    try:
        try:
            return session.turn(line)
        except PreviouslyRejected as e:
            err_console.print(f"[bold yellow]rejected before:[/] {escape(str(e))}")
            if not _confirm(read, "Keep this change anyway? [y/N] "):
                console.print("Not kept; the pending change is as it was.")
                return None
            return session.turn(line, force=True)
    finally:
        STEPS.reset(token)


def converse(session: ChatSession, read: ReadLine) -> None:
    """The read-eval-print loop; Ctrl-C cancels the current turn, Ctrl-D or /quit ends."""
    while True:
        try:
            line = read("kubesmith> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        if not line.strip():
            continue
        try:
            command = parse_command(line)
            if command is not None:
                if not _run_command(session, *command, read):
                    break
                continue
            result = _turn(session, line, read)
            if result is None:
                continue
        except KeyboardInterrupt:
            err_console.print("[dim]cancelled[/]")
            continue
        except EOFError:
            break
        except (KubesmithError, EditRejected) as e:
            err_console.print(f"[bold red]error:[/] {escape(str(e))}")
            continue
        if result.rounds > 1:
            console.print(
                f"[dim]{result.rounds} planning rounds: validation errors went back to the "
                "planner[/]"
            )
        if result.rationale:
            console.print(escape(result.rationale))
        for q in result.questions:
            console.print(f"[yellow]?[/] {escape(q)}")
        print_diff(console, result.diff)
        new = [f for f in result.findings if not f.preexisting]
        if new:
            print_findings(console, new)
        _summary(session)


@click.command("chat")
@repo_option
@click.option(
    "--planner",
    type=click.Choice(["offline", "llm", "auto"]),
    default=None,
    help="Who plans each turn. Default: auto when a model is configured, else offline.",
)
@click.option("--model", default=None, help="Model for the LLM planner, e.g. openai:gpt-4o-mini.")
@handle_errors
def command(repo: Path, planner: str | None, model: str | None) -> None:
    """Shape a change over several turns, see its diff and verdicts, then open the PR.

    \b
    Each line is an intent that refines the one pending change, e.g.
      scale checkout to 3
      also set its memory limit to 512Mi
      /diff   /validate   /undo   /reset   /explain   /cost   /pr [title]   /help   /quit
    Nothing is written until /pr (which asks first). Piped input is read one line per turn.
    """
    settings = load_settings(repo).merged(**{"llm.model": model})
    agent = open_agent(repo, planner=planner, settings=settings)
    session = ChatSession(agent)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if interactive:
        console.print(
            f"kubesmith chat on [cyan]{escape(str(session.base.git.root))}[/] "
            f"({session.base.name}, {len(session.base.workspace.resources)} resources, "
            f"{agent.planner.name} planner). /help lists commands; Ctrl-D leaves."
        )
    read = _terminal_reader(session) if interactive else _pipe_reader(sys.stdin)
    converse(session, read)
