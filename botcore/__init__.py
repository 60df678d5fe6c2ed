"""botcore: one shared multi-task language model as a chatbot on Telegram, Discord and the terminal."""

__version__ = "0.1.0"
