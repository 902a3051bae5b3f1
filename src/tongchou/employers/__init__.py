"""Employers and their monthly declarations (职工医保): registration, joining and leaving, bases, arrears,
late fees and the tax bureau's collections (docs/front-office.md)."""
