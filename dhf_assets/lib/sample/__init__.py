"""The bundled sample archive: three caves of procedurally painted murals, and what the pipeline should make of them."""
