"""The term's calendar: due dates, extensions and late policies (``c.DgmlabDeadlines``), read by release,
collect and the report."""
