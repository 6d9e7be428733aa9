"""Early warnings (issue 4). ``yingji.warnings.cap`` holds the CAP 1.2 model, import and export."""
