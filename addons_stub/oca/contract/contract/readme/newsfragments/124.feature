Contracts can be paused.
