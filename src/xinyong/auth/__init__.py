"""Who is calling: authorities' API keys, hashed at rest and scoped."""
