"""Gateway: identities, API keys, tokens, roles, rate limits, routing and the merged OpenAPI."""
