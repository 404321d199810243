"""The course's LMS: ``dgmlab collect`` (an LMS's submissions zip into ``submitted/``) and Canvas's REST API
(submission times in, final marks out)."""
