"""The registry projection: plans, tasks, units and the names units go by.

``tables`` holds its DDL, ``handlers`` what each event writes into it, ``queries``
what readers ask of it.
"""
