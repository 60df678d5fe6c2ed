"""``botctl model eval``: every metric of a checkpoint, as JSON, Markdown and a confusion PNG.

English and Chinese are reported side by side. ``report.json`` keeps its keys from one version to
the next (quality gates compare them); see docs/model.md ("Evaluation report") for the list:
``test`` / ``retrieval`` are the English hand-written split (as before), ``test_zh`` /
``retrieval_zh`` the Chinese one, ``sets`` the evaluation sets of
:mod:`workers.evaluation.bilingual`, and ``headline`` a flat ``{"en": {...}, "zh": {...}}`` of the
numbers the targets are about.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from workers.evaluation.bilingual import evaluate_sets
from workers.evaluation.generation_eval import evaluate_generation
from workers.evaluation.heads_eval import evaluate_heads
from workers.evaluation.retrieval import evaluate_retrieval
from workers.model.service import ModelService
from workers.training.config import TrainConfig
from workers.training.data import build_dataset, eval_sets

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


def _get(tree: dict[str, Any], *path: str) -> float | None:
    node: Any = tree
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return round(float(node), 4)


def headline(report: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """The numbers the targets are about, per language (None when not measured)."""
    out: dict[str, dict[str, float | None]] = {}
    for lang, test, retr in (("en", "test", "retrieval"), ("zh", "test_zh", "retrieval_zh")):
        out[lang] = {
            "skill_macro_f1": _get(report, test, "skill", "macro_f1"),
            "skill_accuracy": _get(report, test, "skill", "accuracy"),
            "faq_recall@1": _get(report, retr, "tuned", "recall@1"),
            "faq_mrr": _get(report, retr, "tuned", "mrr"),
            **{f"{label}_{m}": _get(report, test, "safety", label, m)
               for label in ("abuse", "self_harm", "sexual", "prompt_injection")
               for m in ("precision", "recall")},
            "smalltalk_to_companion": _get(report, "sets", f"smalltalk_{lang}", "share"),
        }
    out["zh"] |= {
        "cold_abuse_precision": _get(report, "sets", "cold_heldout", "abuse", "precision"),
        "cold_abuse_recall": _get(report, "sets", "cold_heldout", "abuse", "recall"),
        "cold_safe_to_tutor": _get(report, "sets", "cold_heldout", "safe_to_tutor"),
        "maths_to_tutor": _get(report, "sets", "maths_zh", "share"),
        "faq_zh_to_en_recall@1": _get(report, "sets", "retrieval_zh_to_en", "tuned", "recall@1"),
    }
    return out


def run_eval(service: ModelService, config: TrainConfig, out_dir: Path,
             generation: bool = True, cache_dir: Path | None = None,
             real_text: bool = True) -> dict[str, Any]:
    """Evaluate the service's heads, retrieval and (optionally) generator; write the reports.

    ``cache_dir`` caches a frozen sentence encoder's vectors between runs. ``real_text=False``
    skips the real-text sets (COLD, chitchat, maths: thousands of texts) and keeps the
    hand-written splits and retrieval, which is all the activation gate compares.
    """
    from workers.model.sentence_trunk import use_cache

    out_dir.mkdir(parents=True, exist_ok=True)
    data = build_dataset(config)
    sets = eval_sets(config) if real_text else {}
    encoder = service.encoder
    texts = [e.text for e in (*data.test, *(e for v in sets.values() for e in v))]
    texts += [q for kb in (data.faq, data.faq_zh) for e in kb
              for q in (*e.train_questions, *e.query_questions)]
    use_cache(encoder.trunk, cache_dir, texts)  # a sentence encoder embeds (and saves) once
    report: dict[str, Any] = {
        "version": service.version,
        "encoder": encoder.trunk.name,
        "test": evaluate_heads(encoder, [e for e in data.test if e.lang == "en"]),
        "retrieval": evaluate_retrieval(encoder, data.faq),
        "test_zh": evaluate_heads(encoder, [e for e in data.test if e.lang == "zh"]),
        "retrieval_zh": evaluate_retrieval(encoder, data.faq_zh) if data.faq_zh else {},
    }
    if real_text:
        report["sets"] = evaluate_sets(encoder, sets, data.faq, data.faq_zh)
    report["headline"] = headline(report)
    if generation:
        report["generation"] = evaluate_generation(service.generator)
        report["generator"] = service.generator.name
    skill = report["test"].get("skill")
    if skill:
        plot_confusion(skill["confusion"], skill["labels"], out_dir / "confusion_skill.png")
    (out_dir / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out_dir / "report.md").write_text(to_markdown(report), encoding="utf-8")
    return report


def _f(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def _skill_table(report: dict[str, Any]) -> list[str]:
    en, zh = report.get("test", {}).get("skill"), report.get("test_zh", {}).get("skill")
    if not en:
        return []
    lines = ["## Skill routing (hand-written held-out split)", "",
             "| | English | Chinese |", "|---|---|---|",
             f"| accuracy | {_f(en['accuracy'])} | {_f(zh['accuracy'] if zh else None)} |",
             f"| macro P / R / F1 | {_f(en['macro_precision'])} / {_f(en['macro_recall'])} / "
             f"{_f(en['macro_f1'])} | " + (f"{_f(zh['macro_precision'])} / {_f(zh['macro_recall'])}"
                                           f" / {_f(zh['macro_f1'])}" if zh else "–") + " |"]
    for label, v in en["per_label"].items():
        z = zh["per_label"].get(label) if zh else None
        lines.append(f"| {label} F1 (n) | {_f(v['f1'])} ({int(v['support'])}) | "
                     + (f"{_f(z['f1'])} ({int(z['support'])})" if z else "–") + " |")
    return [*lines, "", "![confusion](confusion_skill.png) (English)", ""]


def _safety_table(report: dict[str, Any]) -> list[str]:
    en, zh = report.get("test", {}).get("safety"), report.get("test_zh", {}).get("safety") or {}
    if not en:
        return []
    lines = ["## Safety (hand-written held-out split; decision point 0.5)", "",
             "| label | English P / R (n) | Chinese P / R (n) |", "|---|---|---|"]
    for label, v in en.items():
        z = zh.get(label)
        lines.append(f"| {label} | {_f(v['precision'])} / {_f(v['recall'])} "
                     f"({int(v['support'])}) | "
                     + (f"{_f(z['precision'])} / {_f(z['recall'])} ({int(z['support'])})"
                        if z else "–") + " |")
    return [*lines, ""]


def _sets_table(report: dict[str, Any]) -> list[str]:
    sets = report.get("sets") or {}
    lines = ["## Real text kept out of training", ""]
    cold = sets.get("cold_heldout")
    if cold:
        best = cold["abuse_best_at_precision_0.75"]
        lines += [f"COLD held-out ({cold['n']} real Chinese comments, {cold['offensive']} "
                  "offensive): abuse precision "
                  f"{_f(cold['abuse']['precision'])} %, recall {_f(cold['abuse']['recall'])} % at "
                  f"the shipped decision point (best recall at precision ≥ 75 %: "
                  f"{_f(best['recall'])} %); safe comments routed to the tutor: "
                  f"{_f(cold['safe_to_tutor'])} %.", ""]
    lines += ["| set | n | routed to | share |", "|---|---|---|---|"]
    for name in ("maths_zh", "smalltalk_en", "smalltalk_zh"):
        if name in sets:
            v = sets[name]
            lines.append(f"| {name} | {v['n']} | {v['to']} | {_f(v['share'])} |")
    return [*lines, ""]


def _retrieval_table(report: dict[str, Any]) -> list[str]:
    rows = [("English → English", report.get("retrieval")),
            ("Chinese → Chinese", report.get("retrieval_zh")),
            ("Chinese → English KB", (report.get("sets") or {}).get("retrieval_zh_to_en"))]
    lines = ["## FAQ retrieval (held-out phrasings)", "",
             "| queries | n | recall@1 tuned (bare) | recall@5 tuned | MRR tuned (bare) |",
             "|---|---|---|---|---|"]
    for name, r in rows:
        if r:
            lines.append(f"| {name} | {r['queries']} | {_f(r['tuned']['recall@1'])} "
                         f"({_f(r['baseline']['recall@1'])}) | {_f(r['tuned']['recall@5'])} | "
                         f"{r['tuned']['mrr']:.3f} ({r['baseline']['mrr']:.3f}) |")
    return [*lines, ""]


def to_markdown(report: dict[str, Any]) -> str:
    """A readable report with the headline numbers, English and Chinese side by side."""
    lines = [f"# Model evaluation — version `{report['version']}`", "",
             f"Encoder: `{report['encoder']}`. Held-out: the hand-written split of each language "
             "(never trained on) and the real-text sets below. Figures in %.", ""]
    lines += _skill_table(report) + _safety_table(report)
    if "emotion" in report.get("test", {}):
        e = report["test"]["emotion"]
        lines += ["## Emotion (English)", "", f"accuracy {_f(e['accuracy'])} %, macro-F1 "
                  f"{_f(e['macro_f1'])} %", ""]
    lines += _sets_table(report) + _retrieval_table(report)
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
