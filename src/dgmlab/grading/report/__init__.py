"""``dgmlab report`` and ``dgmlab dashboard``: grades out of the gradebook and the graded notebooks (the class's
data, its statistics, the LMS exports, each student's grade summary, the dashboard page)."""
