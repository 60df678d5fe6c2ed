"""Platform adapters: Telegram, Discord and the console. They depend on botcore, never the reverse."""
