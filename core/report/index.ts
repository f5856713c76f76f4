export { report, type ReportOptions, type ReportResult } from "./report.ts";
export { escapeHtml, htmlDocument, htmlFigure, htmlSection, htmlTable, type TableFormat } from "./html.ts";
