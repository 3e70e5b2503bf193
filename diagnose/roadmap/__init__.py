"""From a diagnosis to a roadmap: the catalogue, the planner, the report's values, the PDF."""
