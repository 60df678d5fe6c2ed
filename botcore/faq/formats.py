"""FAQ files: CSV (``id,question,answer[,tags,url]``; rows sharing an id add phrasings) and
JSONL (``{"id", "questions": [...], "answer", "tags"?, "url"?}``)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from botcore.errors import InputError


@dataclass(slots=True)
class FaqRecord:
    """One knowledge-base entry with all its phrasings."""

    id: str
    answer: str
    questions: list[str] = field(default_factory=list)
    tags: str | None = None
    url: str | None = None


def _merge(records: dict[str, FaqRecord], rec: FaqRecord, where: str) -> None:
    if not rec.id.strip():
        raise InputError(f"{where}: empty id")
    if rec.id in records:
        cur = records[rec.id]
        if rec.answer and cur.answer and rec.answer != cur.answer:
            raise InputError(f"{where}: id {rec.id!r} has two different answers")
        cur.answer = cur.answer or rec.answer
        cur.questions.extend(q for q in rec.questions if q not in cur.questions)
        cur.tags = cur.tags or rec.tags
        cur.url = cur.url or rec.url
    else:
        records[rec.id] = rec


def read_faq_file(path: Path) -> list[FaqRecord]:
    """Parse a CSV or JSONL file (by extension; ``.jsonl``/``.json`` else CSV).

    Raises:
        InputError: with the file and line of the first problem.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    records: dict[str, FaqRecord] = {}
    try:
        if path.suffix.lower() in {".jsonl", ".json", ".ndjson"}:
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    d = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{n}: invalid JSON ({exc.msg})") from exc
                if not isinstance(d, dict) or "id" not in d or "answer" not in d:
                    raise InputError(f"{path}:{n}: needs 'id', 'questions' and 'answer'")
                qs = d.get("questions") or ([d["question"]] if d.get("question") else [])
                if not isinstance(qs, list) or not all(isinstance(q, str) for q in qs):
                    raise InputError(f"{path}:{n}: 'questions' must be a list of strings")
                tags = d.get("tags")
                if isinstance(tags, list):
                    tags = ",".join(str(t) for t in tags)
                _merge(records, FaqRecord(str(d["id"]), str(d["answer"]).strip(),
                                          [q.strip() for q in qs if q.strip()],
                                          tags or None, d.get("url")), f"{path}:{n}")
        else:
            with path.open(newline="", encoding="utf-8-sig") as fh:
                reader = csv.DictReader(fh)
                need = {"id", "question", "answer"}
                if not reader.fieldnames or not need <= set(reader.fieldnames):
                    raise InputError(f"{path}: CSV header must include id,question,answer")
                for n, row in enumerate(reader, 2):
                    q = (row.get("question") or "").strip()
                    _merge(records, FaqRecord((row.get("id") or "").strip(),
                                              (row.get("answer") or "").strip(),
                                              [q] if q else [], row.get("tags") or None,
                                              row.get("url") or None), f"{path}:{n}")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text") from exc
    for rec in records.values():
        if not rec.answer or not rec.questions:
            raise InputError(f"{path}: entry {rec.id!r} needs an answer and at least one question")
    return list(records.values())


def write_faq_file(path: Path, records: Iterable[FaqRecord]) -> int:
    """Write records as JSONL or CSV (by extension); returns the number of entries."""
    recs = list(records)
    if path.suffix.lower() in {".jsonl", ".json", ".ndjson"}:
        with path.open("w", encoding="utf-8") as fh:
            for r in recs:
                d = {"id": r.id, "questions": r.questions, "answer": r.answer}
                if r.tags:
                    d["tags"] = r.tags
                if r.url:
                    d["url"] = r.url
                fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    else:
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "question", "answer", "tags", "url"])
            for r in recs:
                for q in r.questions:
                    w.writerow([r.id, q, r.answer, r.tags or "", r.url or ""])
    return len(recs)
