"""The Pulumi engine: workspace, operations, program, graph, policy gate, events. It names no cloud."""
