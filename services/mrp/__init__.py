"""MRP: demands, purchase and work orders, MRP runs, material checks, MES completions."""
