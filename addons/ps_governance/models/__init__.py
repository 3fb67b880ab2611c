# Models of this addon are imported here, one module per model.
