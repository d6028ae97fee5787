"""Compiled findings: visit minutes, conclusion notices, plan and periodic reports, exports, charts.

Layers inside the package:
- `rules`: plain functions for the report rules (ranking, spread, failed items, remediation figures);
- `visit_doc`, `plan_data`, `periodic_data`: assemble report data from query results, scoring every
  visit with the checklist scoring engine (never re-implemented here);
- `nd30`, `docx_visit`, `docx_plan`, `xlsx`, `html`, `svg`: render that data;
- `jobs`: long renders in the background with progress (a `report_jobs` row any app process reads);
- `cli`: the command-line entry points.
"""
