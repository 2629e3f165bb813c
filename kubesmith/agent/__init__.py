"""The agent: planners, the plan → apply → validate → repair loop, and learning from feedback."""
