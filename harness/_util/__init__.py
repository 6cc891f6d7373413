"""Small helpers with no knowledge of Kubernetes or Ray: durations, random names, YAML with line numbers."""
