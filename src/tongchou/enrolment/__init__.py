"""Enrolment and contributions: pure rules (`rules`) and the services that record them (`service`)."""
