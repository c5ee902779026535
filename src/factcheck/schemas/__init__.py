"""Every file format the engine reads or writes, as JSON Schema: claims, sections, the decision guide, run results."""
