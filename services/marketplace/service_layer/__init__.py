"""Use cases of the marketplace: each handler takes a UnitOfWork and never commits."""
