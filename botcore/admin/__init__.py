"""Admin queries and actions behind `botctl` and the in-chat ``/admin`` commands.

The SQL lives here, not in the CLI modules: ``users`` (search, block, forget, purge), ``stats``,
``escalations``, ``audit``, ``broadcast`` (the outbox the adapters deliver from), ``checks``
(``botctl config check``), ``workers`` (``botctl workers status``) and ``chat_commands``.
"""
