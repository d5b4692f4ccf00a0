"""FastAPI glue shared by every service: errors, middleware, context, health, routers."""
