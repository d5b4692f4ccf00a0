"""Developer tools: the local launcher (`python -m tools.run`) and the OpenAPI exporter."""
