"""``botctl model eval``: every metric of a checkpoint, as JSON, Markdown and a confusion PNG."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from workers.evaluation.generation_eval import evaluate_generation
from workers.evaluation.heads_eval import evaluate_heads
from workers.evaluation.retrieval import evaluate_retrieval
from workers.model.service import ModelService
from workers.training.config import TrainConfig
from workers.training.data import build_dataset

log = logging.getLogger(__name__)


def plot_confusion(matrix: list[list[int]], labels: list[str], path: Path) -> None:
    """Save a labelled confusion matrix (rows gold, columns predicted) as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center",
                    color="white" if value > max(map(max, matrix)) / 2 else "black")
    ax.set_title("skill routing (held-out)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_eval(service: ModelService, config: TrainConfig, out_dir: Path,
             generation: bool = True) -> dict[str, Any]:
    """Evaluate the service's heads, retrieval and (optionally) generator; write the reports."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = build_dataset(config)
    encoder = service.encoder
    report: dict[str, Any] = {
        "version": service.version,
        "encoder": encoder.trunk.name,
        "test": evaluate_heads(encoder, data.test),
        "retrieval": evaluate_retrieval(encoder, data.faq),
    }
    if generation:
        report["generation"] = evaluate_generation(service.generator)
        report["generator"] = service.generator.name
    skill = report["test"].get("skill")
    if skill:
        plot_confusion(skill["confusion"], skill["labels"], out_dir / "confusion_skill.png")
    (out_dir / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out_dir / "report.md").write_text(to_markdown(report), encoding="utf-8")
    return report


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def to_markdown(report: dict[str, Any]) -> str:
    """A readable report with the headline numbers."""
    lines = [f"# Model evaluation — version `{report['version']}`", "",
             f"Encoder: `{report['encoder']}`. Held-out split: hand-written examples only.", ""]
    test = report["test"]
    if "skill" in test:
        s = test["skill"]
        lines += ["## Skill routing", "",
                  f"accuracy {_pct(s['accuracy'])} %, macro P/R/F1 {_pct(s['macro_precision'])} / "
                  f"{_pct(s['macro_recall'])} / {_pct(s['macro_f1'])} %", "",
                  "| skill | precision | recall | F1 | n |", "|---|---|---|---|---|"]
        lines += [f"| {k} | {_pct(v['precision'])} | {_pct(v['recall'])} | {_pct(v['f1'])} | "
                  f"{int(v['support'])} |" for k, v in s["per_label"].items()]
        lines += ["", "![confusion](confusion_skill.png)", ""]
    if "safety" in test:
        lines += ["## Safety (threshold per label)", "", "| label | precision | recall | n |",
                  "|---|---|---|---|"]
        lines += [f"| {k} | {_pct(v['precision'])} | {_pct(v['recall'])} | {int(v['support'])} |"
                  for k, v in test["safety"].items()]
        lines.append("")
    if "emotion" in test:
        e = test["emotion"]
        lines += ["## Emotion", "", f"accuracy {_pct(e['accuracy'])} %, macro-F1 "
                  f"{_pct(e['macro_f1'])} %", ""]
    r = report["retrieval"]
    lines += ["## FAQ retrieval", "",
              f"{r['queries']} held-out phrasings over {r['entries']} entries.", "",
              "| trunk | recall@1 | recall@5 | MRR |", "|---|---|---|---|"]
    lines += [f"| {name} | {_pct(r[name]['recall@1'])} | {_pct(r[name]['recall@5'])} | "
              f"{r[name]['mrr']:.3f} |" for name in ("baseline", "tuned")]
    lines.append("")
    if "generation" in report:
        g = report["generation"]
        lines += ["## Generation", "", f"Generator `{report['generator']}`, "
                  f"{g['references']} held-out references.", "",
                  "| decoding | BLEU | ROUGE-L | distinct-2 | repetition | max repetition | words |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {name} | {g[name]['bleu']:.1f} | {g[name]['rouge_l']:.3f} | "
                  f"{g[name]['distinct_2']:.3f} | {g[name]['repetition_rate']:.3f} | "
                  f"{g[name]['max_repetition_rate']:.3f} | {g[name]['mean_words']:.1f} |"
                  for name in ("naive", "defaults")]
        lines.append("")
    return "\n".join(lines)
