"""Server-rendered pages, one module per area; htmx partials live next to the page they update."""
