"""The `framelens` command line: thin commands over library functions."""
