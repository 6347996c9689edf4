"""The only code that reads or writes project documents."""
