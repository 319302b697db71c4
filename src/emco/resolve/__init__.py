"""Cross-service entity resolution: features, model, judgements, clusters, matcher."""
