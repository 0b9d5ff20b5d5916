"""The REST API under /api/v1, shaped after Camunda 7's, with API tokens for machine clients."""
