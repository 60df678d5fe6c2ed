"""`botctl faq`: the knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from botcore.cli import common
from botcore.config import Settings
from botcore.errors import InputError
from botcore.faq import formats, training
from botcore.faq import store as faq_store
from botcore.faq.index import FaqAnswer
from botcore.logs import setup_logging
from botcore.memory.factory import open_long_term
from botcore.runtime import open_runtime

faq_app = typer.Typer(help="The FAQ knowledge base.", no_args_is_help=True)


@faq_app.command("import")
def import_(path: Annotated[Path, typer.Argument(help="CSV (id,question,answer[,tags,url]) "
                                                 "or JSONL file.")],
            no_train: Annotated[bool, typer.Option(
                "--no-train", help="Do not train the knowledge-base model afterwards.")] = False,
            ) -> None:
    """Import (insert or replace) entries, then train the knowledge-base model (`botctl faq
    train`). Example: `botctl faq import shop-faq.csv`."""
    s = common.settings()
    records = common.run(_read(path))

    async def main() -> int:
        store = await open_long_term(s)
        try:
            n = await faq_store.upsert_entries(store, records)
            await store.audit("cli", "faq.import", str(path), {"entries": n})
            return n
        finally:
            await store.aclose()

    n = common.run(main())
    typer.echo(f"imported {n} entries ({sum(len(r.questions) for r in records)} phrasings)")
    if s.faq_auto_train and not no_train:
        _train(s, 0.95, json_out=False, auto=True)


def _train(s: Settings, target: float, *, json_out: bool, auto: bool = False) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    setup_logging(s, "WARNING")

    async def main() -> training.FaqTrainReport | None:
        async with open_runtime(s) as rt:
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          transient=True, disable=json_out) as bar:
                tasks: dict[str, Any] = {}

                def step(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = bar.add_task(stage, total=total)
                    bar.update(tasks[stage], completed=done, total=total)

                try:
                    report = await training.train(rt.long_term, rt.executor,
                                                  target_refusal=target, progress=step)
                except InputError as exc:
                    if not auto:
                        raise
                    typer.echo(f"not trained: {exc}", err=True)
                    return None
            await rt.long_term.audit("cli", "faq.train", f"faq-model:{report['version']}",
                                     {"threshold": report["threshold"]})
            return report

    report = common.run(main())
    if report is None:
        return
    if json_out:
        common.emit_json(report)
        return
    typer.echo(f"faq model v{report['version']} trained on {report['entries']} entries "
               f"({report['examples']} example questions) and active; operating point on the "
               f"knowledge base's own validation split: threshold {report['threshold']:.3f}, "
               f"{report['accuracy']:.0%} of held-out questions answered right "
               f"({report['wrong']:.0%} wrong); refused: {report['out_of_scope_refused']:.0%} of "
               f"everyday questions, {report['near_domain_refused']:.0%} of questions of entries "
               f"left out of training")


@faq_app.command()
def train(
    target_refusal: Annotated[float, typer.Option(
        "--target-refusal", help="Share of out-of-scope questions to refuse (0.5-0.99).")] = 0.95,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Train a model of the knowledge base on its own example questions, calibrate its refusal
    threshold on a held-out part of them, and make it the active version (running bots pick it
    up within 30 s). Also run after `botctl faq import` unless BOTCORE_FAQ_AUTO_TRAIN=false.

    Example: botctl faq train --json
    """
    if not 0.5 <= target_refusal < 1.0:
        common.fail("--target-refusal must be at least 0.5 and below 1", code=2)
    _train(common.settings(), target_refusal, json_out=json_out)


@faq_app.command()
def models(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Trained knowledge-base model versions, newest first (the active one is used)."""
    s = common.settings()

    async def main() -> list[dict[str, Any]]:
        store = await open_long_term(s)
        try:
            return await training.list_models(store)
        finally:
            await store.aclose()

    rows = common.run(main())
    if json_out:
        common.emit_json(rows)
        return
    if not rows:
        typer.echo("no trained model (botctl faq train)")
    for r in rows:
        typer.echo(f"v{r['version']}{' (active)' if r['active'] else ''}\t{r['created_at']}\t"
                   f"threshold {r['threshold']}\taccuracy {r.get('accuracy')}\t"
                   f"out-of-scope refused {r.get('out_of_scope_refused')}")


async def _read(path: Path) -> list[formats.FaqRecord]:
    return formats.read_faq_file(path)


@faq_app.command("export")
def export(path: Annotated[Path, typer.Argument(help="Output .csv or .jsonl file.")]) -> None:
    """Export the knowledge base."""
    s = common.settings()

    async def main() -> int:
        store = await open_long_term(s)
        try:
            return formats.write_faq_file(path, await faq_store.all_entries(store))
        finally:
            await store.aclose()

    typer.echo(f"exported {common.run(main())} entries to {path}")


@faq_app.command("list")
def list_(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List entries."""
    s = common.settings()

    async def main() -> list[formats.FaqRecord]:
        store = await open_long_term(s)
        try:
            return await faq_store.all_entries(store)
        finally:
            await store.aclose()

    entries = common.run(main())
    if json_out:
        common.emit_json([{"id": e.id, "questions": e.questions, "answer": e.answer,
                           "tags": e.tags, "url": e.url} for e in entries])
        return
    if not entries:
        typer.echo("the knowledge base is empty (botctl faq import FILE)")
    for e in entries:
        typer.echo(f"{e.id}\t{len(e.questions)} phrasings\t{e.questions[0][:60]}")


def _answer_json(a: FaqAnswer) -> dict[str, object]:
    return {"id": a.id, "answer": a.answer, "score": a.score}


@faq_app.command("ask")
def ask(
    text: Annotated[str | None, typer.Argument(help="The question.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="One question per line.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ask the knowledge base; `id` is null when it has no confident answer."""
    if (text is None) == (file is None):
        common.fail("give a question or --file PATH (not both)", code=2)
    if file is not None and not file.is_file():
        common.fail(f"{file}: no such file", code=2)
    s = common.settings()
    setup_logging(s, "WARNING")
    questions = [text] if text is not None else \
        [q for q in file.read_text(encoding="utf-8").splitlines()]  # type: ignore[union-attr]

    async def main() -> list[FaqAnswer]:
        async with open_runtime(s) as rt:
            out = []
            for q in questions:
                out.append(await rt.manager.faq.search(q) if q.strip()
                           else FaqAnswer(None, None, 0.0))
            return out

    for a in common.run(main()):
        if json_out:
            common.emit_json(_answer_json(a))
        else:
            typer.echo(f"{a.id or '(no confident answer)'}\t{a.score:.3f}\t{a.answer or ''}")
