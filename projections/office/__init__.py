"""The office projection: supervision cycles run, briefings issued, the calendar's adjustments.

``tables`` holds its DDL, ``handlers`` what each event writes into it, ``queries``
what readers ask of it.
"""
