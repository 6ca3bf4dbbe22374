"""Review: status, decisions and reports shared by the CLI and the web app."""
