"""The audit projection: every event, who/when/what, findable by task, unit and actor.

``tables`` holds its DDL, ``handlers`` what each event writes into it, ``summary`` the
one line that says what an event did, ``queries`` what readers ask of it.
"""
