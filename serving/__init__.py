"""framelens.serving — inference for applications (builds on data and models)."""
