"""The gateway's HTTP interface: schemas, dependencies, problem responses, the audit middleware
and one router per resource."""
