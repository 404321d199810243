"""Copied or borrowed work, for the instructor to look at (never a grade): answers alike, weights shared or
taken from the kit's published files, answers that use the kit's checking code or build code at run time."""
