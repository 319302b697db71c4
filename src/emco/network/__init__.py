"""Criminal-network analysis: edge tables, communities, heads and roles, key players for
disruption, change over time, and exports (see docs/network-analysis.md)."""
