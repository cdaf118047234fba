"""Words and JSON for what fitplug shows: one presenter for every command, the feed and the page."""
