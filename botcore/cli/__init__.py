"""botctl, the admin CLI."""
