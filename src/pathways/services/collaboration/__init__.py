"""Work across cases: collective actions (linked cases) and cooperation cases shared between organisations."""
