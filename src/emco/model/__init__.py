"""Domain types and enums. No I/O."""
