/* cx_report.h - the HTML report of cxflow (library behind `cxflow-report`).
 *
 * cx_report_write reads the SQLite database written by the sink
 * (docs/SINKS.md) and writes one self-contained HTML file: no scripts, no
 * network fetches, charts drawn as inline SVG.  Every text that comes from the
 * database is HTML-escaped with cx_html_escape.  The database is opened
 * read-only and read inside one transaction, so a running sink can keep
 * writing while a report is produced from a consistent snapshot. */
#ifndef CX_REPORT_H
#define CX_REPORT_H
#include <stddef.h>
#include <stdint.h>
#include "cx_env.h" /* cx_buf */

typedef struct cx_report_opts {
    const char *db_path;      /* the sink's SQLite database (required) */
    const char *out_path;     /* the HTML file to write (required); its directory is created */
    const char *title;        /* page title; NULL or "" = "Customer feedback report" */
    const char *lexicons_dir; /* for themes/taxonomy.tsv (theme names); NULL or "" = show raw ids */
    int64_t since_ms;         /* window length ending at the newest record's ts; 0 = all records */
    int64_t now_ms;           /* "generated at" stamp; 0 = wall clock (tests pin it) */
    int dashboard;            /* the live page of cxflow-dash: inline update script, API links */
    int refresh_s;            /* dashboard: seconds between update checks (< 1 = 1) */
} cx_report_opts;

/* Write the report described by o.  Returns 0, or -1 with a one-line reason
 * in err (missing database, not a cxflow database, SQLite error, cannot
 * write the output, out of memory).  A missing database gives
 * "no database at PATH — run the pipeline first (tools/cxflow run / demo)". */
int cx_report_write(const cx_report_opts *o, char *err, size_t errlen);

/* The same page appended to out (o->out_path is not used); what
 * cx_report_write writes, and what the dashboard serves.  Returns 0, or -1
 * with the same one-line reasons (out may then hold part of a page). */
int cx_report_render(const cx_report_opts *o, cx_buf *out, char *err, size_t errlen);

/* The themes or clusters table of the report as CSV (cxflow-export). */
typedef struct cx_export_opts {
    const char *db_path;      /* the sink's SQLite database (required) */
    const char *out_path;     /* the CSV file to write; NULL, "" or "-" = standard output */
    const char *what;         /* "themes" (default) or "clusters" */
    const char *lexicons_dir; /* for theme names, as in cx_report_opts */
    int64_t since_ms;         /* as in cx_report_opts */
} cx_export_opts;

/* Write the CSV described by o: RFC 4180 with CRLF line ends, UTF-8
 * without a byte-order mark, one header row, then one row per theme (every
 * top-level theme followed by its sub-themes, largest first) or per
 * cluster with records in the window (merged clusters folded in, largest
 * first).  Columns: docs/SINKS.md, "CSV export".  Returns 0, or -1 with a
 * one-line reason in err, as cx_report_write (same message for a missing
 * database); an unknown o->what is an error too. */
int cx_export_write(const cx_export_opts *o, char *err, size_t errlen);

/* Parse a --since value: "all" (0), or a positive count followed by h
 * (hours), d (days) or w (weeks), e.g. "24h", "7d", "30d".  Stores
 * milliseconds in *ms.  Returns 0, or -1 when the value is not understood. */
int cx_report_parse_since(const char *s, int64_t *ms);

/* Append s to b escaped for HTML text and attribute values: & < > " ' are
 * replaced by entities, control characters other than tab/newline/CR by a
 * space, and invalid UTF-8 bytes by U+FFFD.  NULL appends nothing.  When
 * max_chars > 0 the text is cut after that many characters (at a character
 * boundary) and an ellipsis appended.  Returns 0, or -1 when out of memory. */
int cx_html_escape(cx_buf *b, const char *s, size_t max_chars);

#endif
