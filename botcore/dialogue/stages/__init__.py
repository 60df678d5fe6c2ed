"""The stages of a turn, one module each (ARCHITECTURE §2, §3).

Each stage is ``async (turn, session, call_next) -> None``: it reads and writes the
:class:`~botcore.dialogue.turn.Turn`, then either calls ``call_next(turn)`` to run the rest of the
pipeline (and may act again once it returns, like a middleware) or ends the turn by not calling
it. Stages import :mod:`botcore.dialogue.turn` and :mod:`botcore.dialogue.session` (and the
helpers below them), never :mod:`botcore.dialogue.pipeline` or the manager.
:mod:`botcore.dialogue.pipeline` lists them in order.
"""
