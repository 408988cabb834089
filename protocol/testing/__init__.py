"""Protocol tools for tests and benchmarks (fuzzer, load generator): never vendored into the
Blender extension, which ships only the top-level protocol modules."""
