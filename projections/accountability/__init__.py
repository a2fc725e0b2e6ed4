"""The accountability projection: who is on what, what they reported, what they owe, how
they were chased. Rehearsals (simulated events) never reach it.

``tables`` holds its DDL, ``handlers`` what each event writes into it, ``queries``
what readers ask of it.
"""
