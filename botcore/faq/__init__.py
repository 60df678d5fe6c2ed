"""The knowledge base behind the FAQ skill: import/export, SQL storage, embedding search."""

from botcore.faq.formats import FaqRecord, read_faq_file, write_faq_file
from botcore.faq.index import FaqAnswer, FaqIndex

__all__ = ["FaqAnswer", "FaqIndex", "FaqRecord", "read_faq_file", "write_faq_file"]
