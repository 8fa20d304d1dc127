"""The only coursework code a sandboxed submission can see: the agent that runs its cells and
calls its functions (``agent``) and the plain-data wire format both sides speak (``wire``).

Nothing here decides a grade: the grading process sends cells and inputs, and receives
outputs as plain data, which it validates before it looks at them.
"""
