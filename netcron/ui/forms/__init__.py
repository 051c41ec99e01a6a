"""Forms of the web UI. Validation reuses the API's pydantic schemas and the job types' params models."""
