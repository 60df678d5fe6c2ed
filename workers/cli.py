"""``botctl model …``: predict, train, eval, list and activate model versions.

Registered through the ``botcore.cli`` entry point group (``model = "workers.cli:model_app"``).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from botcore.cli import common
from botcore.config import Settings
from botcore.errors import BotcoreError
from botcore.inference.payloads import Understanding
from botcore.jsontypes import JsonObject
from botcore.redact import redact

log = logging.getLogger(__name__)

model_app = typer.Typer(name="model", help="Train, evaluate and query the shared model.",
                        no_args_is_help=True)


def _settings() -> Settings:
    return common.settings()  # invalid: one line naming the variable, exit code 2


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {redact(message)}", err=True)
    return typer.Exit(code=1)


def _flags(u: Understanding, flags_threshold: dict[str, float]) -> list[str]:
    return [k for k, p in u.safety.items() if p >= flags_threshold.get(k, 0.5)]


def _prediction(u: Understanding, flags_threshold: dict[str, float]) -> JsonObject:
    data: JsonObject = u.model_dump(exclude={"embedding"})
    data["flags"] = _flags(u, flags_threshold)
    return data


@model_app.command()
def predict(
    text: Annotated[str | None, typer.Argument(help="the message to classify")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="one message a line")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    checkpoint: Annotated[Path | None, typer.Option(help="a heads folder to use")] = None,
) -> None:
    """Skill scores, safety and emotion for TEXT (or each line of --file)."""
    from workers.model.service import ModelService

    if (text is None) == (file is None):
        raise _fail("give TEXT or --file PATH")
    try:
        service = ModelService.load(_settings(), with_generator=False, checkpoint=checkpoint)
        lines = [text] if text is not None else _read_lines(file)
        thresholds = service.encoder.spec.safety_thresholds
        for start in range(0, len(lines), 64):
            chunk = lines[start : start + 64]
            for u in service.understand(chunk) if chunk else []:
                if as_json:
                    typer.echo(json.dumps(_prediction(u, thresholds), ensure_ascii=False))
                else:
                    scores = ", ".join(f"{k} {v:.2f}" for k, v in u.scores.items())
                    typer.echo(f"{u.skill}  ({scores})  emotion: {u.emotion}"
                               f"  flags: {', '.join(_flags(u, thresholds)) or '-'}")
    except BotcoreError as exc:
        raise _fail(str(exc)) from exc


def _read_lines(path: Path | None) -> list[str]:
    assert path is not None
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc}") from exc
    return [ln for ln in text.splitlines() if ln.strip()]


@model_app.command()
def train(
    config: Annotated[Path | None, typer.Option(help="training YAML (default: packaged)")] = None,
    out: Annotated[Path | None, typer.Option(help="checkpoint folder")] = None,
    name: Annotated[str | None, typer.Option(help="version name (default: a timestamp)")] = None,
    register: Annotated[bool, typer.Option(help="record the version in SQL")] = True,
    activate_it: Annotated[bool, typer.Option("--activate", help="activate it after")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the metrics as JSON")] = False,
    quiet: Annotated[bool, typer.Option(help="no progress bars")] = False,
    with_feedback: Annotated[bool, typer.Option(
        "--with-feedback", help="add consented conversations rated 👍 as labelled examples "
        "(PII redacted; users without /consent on are never read)")] = False,
) -> None:
    """Train the heads and top trunk layer with the weighted multi-task loss."""
    from workers.model import versions
    from workers.model.devices import resolve_device
    from workers.training.collect import deployer_faq
    from workers.training.config import load_config
    from workers.training.data import build_dataset
    from workers.training.trainer import train as run_training

    settings = _settings()
    try:
        cfg = load_config(config)
        version = name or datetime.now(UTC).strftime("heads-%Y%m%d-%H%M%S")
        target = out or settings.data_dir / "models" / "heads" / version
        feedback: list[Any] = []
        feedback_report: dict[str, Any] | None = None
        if with_feedback:
            from workers.training.feedback import feedback_examples

            feedback, found = feedback_examples(settings)
            feedback_report = found.as_dict()
            typer.echo(f"feedback: {found.examples} examples from {found.consenting_users} "
                       f"consenting users {found.by_skill} (platforms {found.by_platform}; "
                       f"{found.thumbs_down_unused} 👎 unused; "
                       f"{found.feedback_without_consent} ratings without consent not read)",
                       err=True)
        data = build_dataset(cfg, deployer_faq(settings, cfg), feedback)
        result = run_training(cfg, target, resolve_device(settings.device),
                              settings.encoder_model, progress=not quiet, dataset=data,
                              cache_dir=settings.data_dir / "cache" / "embeddings")
        if cfg.generator_lora.enabled:
            from workers.training.lora import train_generator_lora

            train_generator_lora(settings, cfg, target / "generator_lora", progress=not quiet)
        if register:
            versions.register(settings, version, target, result.metrics)
            if activate_it:
                versions.activate(settings, version)
    except BotcoreError as exc:
        raise _fail(str(exc)) from exc
    summary = _summary(result.metrics) | {"version": version, "path": str(target),
                                          "seconds": round(result.seconds, 1)}
    if feedback_report is not None:
        summary["feedback"] = feedback_report
        (target / "feedback_report.json").write_text(json.dumps(feedback_report, indent=2),
                                                     encoding="utf-8")
    typer.echo(json.dumps(summary, indent=None if as_json else 2))


def _summary(metrics: Mapping[str, Any]) -> JsonObject:
    test = metrics.get("test", {})
    out: JsonObject = {}
    if "skill" in test:
        out["skill_macro_f1"] = round(test["skill"]["macro_f1"], 4)
        out["skill_accuracy"] = round(test["skill"]["accuracy"], 4)
    if "safety" in test:
        out["safety"] = {k: {"precision": round(v["precision"], 3), "recall": round(v["recall"], 3)}
                         for k, v in test["safety"].items()}
    if "emotion" in test:
        out["emotion_accuracy"] = round(test["emotion"]["accuracy"], 4)
    r = metrics.get("retrieval")
    if r:
        out["faq_recall@1"] = {"baseline": round(r["baseline"]["recall@1"], 4),
                               "tuned": round(r["tuned"]["recall@1"], 4)}
    zh = metrics.get("test_zh", {})
    if "skill" in zh:
        out["skill_macro_f1_zh"] = round(zh["skill"]["macro_f1"], 4)
    r = metrics.get("retrieval_zh")
    if r:
        out["faq_recall@1_zh"] = {"baseline": round(r["baseline"]["recall@1"], 4),
                                  "tuned": round(r["tuned"]["recall@1"], 4)}
    return out


@model_app.command("eval")
def evaluate(
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    out: Annotated[Path | None, typer.Option(help="report folder")] = None,
    checkpoint: Annotated[Path | None, typer.Option(help="heads folder (default: active)")] = None,
    config: Annotated[Path | None, typer.Option(help="training YAML (for the split)")] = None,
    generation: Annotated[bool, typer.Option(help="also score the generator")] = True,
    heads_only: Annotated[bool, typer.Option("--heads-only", help="skip the generator (fast; "
                                             "what CI and the committed baseline use)")] = False,
) -> None:
    """Held-out metrics: routing, safety, emotion, FAQ retrieval, generation; JSON + Markdown.

    The shipped heads' baseline is regenerated with
    ``botctl model eval --heads-only --json > workers/assets/heads-default/baseline.json``.
    """
    generation = generation and not heads_only
    from workers.evaluation.report import run_eval
    from workers.model.service import ModelService
    from workers.training.config import load_config

    settings = _settings()
    target = out or settings.data_dir / "eval" / time.strftime("%Y%m%d-%H%M%S")
    try:
        service = ModelService.load(settings, with_generator=False, checkpoint=checkpoint)
        report = run_eval(service, load_config(config), target, generation=generation,
                          cache_dir=settings.data_dir / "cache" / "embeddings")
    except BotcoreError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(report))
    else:
        typer.echo((target / "report.md").read_text(encoding="utf-8"))
        typer.echo(f"reports in {target}")


@model_app.command()
def bench(
    engine: Annotated[str | None, typer.Option(
        help="auto, llamacpp, transformers, openai or vllm (default: BOTCORE_GENERATOR_ENGINE)")
    ] = None,
    parallel: Annotated[int, typer.Option(min=1, max=256, help="requests at once")] = 8,
    tokens: Annotated[int, typer.Option(min=1, max=4096, help="new tokens per request")] = 48,
    threads: Annotated[int | None, typer.Option(min=1, max=256, help="CPU threads")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Generation speed: 8 fixed prompts one at a time, then --parallel at once.

    Greedy, exactly --tokens new tokens per request (EOS ignored), so engines compare on
    equal work. Prints engine, model, threads, load_s, single_tok_s, parallel, parallel_tok_s,
    ttft_p50_s, ttft_p95_s.
    """
    from workers.model.engines import ENGINES
    from workers.model.engines.bench import run_bench

    if engine is not None and engine not in ENGINES:
        raise _fail(f"unknown engine {engine!r} (choose one of {', '.join(ENGINES)})")
    try:
        result = run_bench(_settings(), engine=None if engine in (None, "auto") else engine,
                           parallel=parallel, tokens=tokens, threads=threads)
    except BotcoreError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(result))
        return
    for key, value in result.items():
        typer.echo(f"{key:>15}: {value}")


@model_app.command("list")
def list_versions(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Registered model versions (the shipped ``default`` is always available)."""
    from workers.model import versions

    try:
        rows: list[Mapping[str, Any]] = list(versions.list_versions(_settings()))
    except BotcoreError as exc:
        raise _fail(str(exc)) from exc
    if not any(r["name"] == versions.DEFAULT_VERSION for r in rows):
        rows.append({"name": versions.DEFAULT_VERSION, "path": "(shipped)", "metrics": {},
                     "active": not any(r.get("active") for r in rows)})
    if as_json:
        typer.echo(json.dumps([{k: v for k, v in r.items() if k != "metrics"} | {
            "summary": _summary(r.get("metrics") or {})} for r in rows]))
        return
    for r in rows:
        mark = "*" if r.get("active") else " "
        f1 = _summary(r.get("metrics") or {}).get("skill_macro_f1", "-")
        typer.echo(f"{mark} {r['name']:<28} skill-F1 {f1}  {r['path']}")


def _default_report() -> dict[str, Any]:
    """The shipped heads' evaluation: the committed baseline, else the checkpoint's metrics."""
    from workers.evaluation.gate import load_baseline
    from workers.model.heads import read_meta
    from workers.model.service import DEFAULT_HEADS

    report = load_baseline()
    if report:
        return report
    metrics: dict[str, Any] = read_meta(DEFAULT_HEADS).get("metrics", {})
    return metrics


@model_app.command()
def activate(
    name: Annotated[str, typer.Argument(help="version name, or 'default'")],
    force: Annotated[bool, typer.Option("--force", help="activate despite a regression "
                                        "(recorded in the audit log)")] = False,
    tolerance: Annotated[float, typer.Option(min=0.0, max=1.0, help="allowed drop of a "
                                             "headline metric")] = 0.02,
    report: Annotated[Path | None, typer.Option(help="the candidate's evaluation report JSON "
                                                "(default: its registered metrics)")] = None,
) -> None:
    """Make NAME the active version; workers pick it up without a restart.

    Refused when a headline metric of NAME's evaluation (routing macro-F1, safety recall, FAQ
    recall@1, repetition rate) is worse than the active version's by more than --tolerance,
    unless --force (audited).
    """
    from botcore.admin.audit import cli_actor
    from workers.evaluation.gate import headline, regressions
    from workers.model import versions
    from workers.model.service import DEFAULT_HEADS

    settings = _settings()
    try:
        rows: dict[str, Mapping[str, Any]] = {r["name"]: r for r in versions.list_versions(settings)}
        if name == versions.DEFAULT_VERSION:
            versions.register(settings, name, DEFAULT_HEADS, _default_report())
            rows[name] = {"name": name, "metrics": _default_report()}
        if name not in rows:
            raise _fail(f"no model version named {name!r} (see `botctl model list`)")
        if report is not None:
            try:
                candidate = json.loads(report.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise _fail(f"cannot read the report {report}: {exc}") from exc
        else:
            candidate = rows[name].get("metrics") or {}
        current = next((r for r in rows.values() if r.get("active")), None)
        active_name = current["name"] if current else versions.DEFAULT_VERSION
        baseline = (current.get("metrics") if current else None) or _default_report()
        found = [] if active_name == name else regressions(candidate, baseline, tolerance)
        if not headline(candidate):
            found_note = "the candidate has no evaluation metrics"
            if not force:
                raise _fail(f"refused: {found_note}; run `botctl model eval --checkpoint PATH` "
                            "and pass --report, or use --force")
        if found and not force:
            reasons = "; ".join(r.reason() for r in found)
            raise _fail(f"refused: {reasons} (tolerance {tolerance}) against the active version "
                        f"{active_name!r}; use --force to override")
        if not versions.activate(settings, name):
            raise _fail(f"no model version named {name!r} (see `botctl model list`)")
        details = {"previous": active_name, "forced": force,
                   "regressions": [r.reason() for r in found],
                   "headline": headline(candidate)}
        versions.run_sync(settings, lambda s: s.audit(cli_actor(), "model.activate", name,
                                                      details))
    except BotcoreError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"activated {name}" + (f" (forced past: {'; '.join(r.reason() for r in found)})"
                                      if found else ""))
