"""The use cases the shells (CLI, web) call: one function per thing a user does.

One module per area (project, meter, mix, master, preproduction, tracking); each function
takes plain arguments (paths, names, numbers), does the work through the library layers and
returns plain results the shells print.
"""
