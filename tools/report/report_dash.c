/* report_dash.c - the two additions of the live dashboard's page (cxflow-dash,
 * tools/dash): an inline script that keeps the page current and a bar with
 * the status and links to the JSON API.  The report file itself never has
 * them: it stays a page with no script.
 *
 * Why poll-and-swap rather than a meta refresh: a meta refresh reloads the
 * whole page every few seconds even when nothing changed, loses the scroll
 * position and flashes on a phone.  The script asks the small /api/summary
 * every refresh period and re-fetches the page (same origin, the same HTML
 * the server renders) only when the records, alerts or clusters changed, and
 * swaps <main> in place.  Script errors are written into the page
 * (data-errors on <html> and a visible box) so a test, or a person, sees
 * them; data-live="ok" marks the first successful update. */
#include "report_int.h"
#include <stdio.h>

#define LIT(b, s) cx_buf_append((b), s, sizeof(s) - 1)

void cx_rp_dash_script(cx_buf *b, int refresh_s) {
    if (refresh_s < 1) refresh_s = 1;
    LIT(b, "<script>\n(function () {\n\"use strict\";\n"
           "var d = document.documentElement, errs = 0, last = null;\n");
    cx_buf_printf(b, "var REFRESH_MS = %d;\n", refresh_s * 1000);
    LIT(b, "function note(m) {\n"
           "  errs++;\n"
           "  d.setAttribute(\"data-errors\", String(errs));\n"
           "  var e = document.getElementById(\"dash-errors\");\n"
           "  if (!e && document.body) {\n"
           "    e = document.createElement(\"pre\");\n"
           "    e.id = \"dash-errors\";\n"
           "    e.className = \"dash-errors\";\n"
           "    document.body.insertBefore(e, document.body.firstChild);\n"
           "  }\n"
           "  if (e) e.textContent += m + \"\\n\";\n"
           "}\n"
           "window.onerror = function (msg, src, line) { note(\"script error: \" + msg + \" (line \" + line + \")\"); };\n"
           "window.addEventListener(\"unhandledrejection\", function (ev) { note(\"script error: \" + ev.reason); });\n"
           "function status(t) { var s = document.getElementById(\"dash-status\"); if (s) s.textContent = t; }\n"
           "function json(r) {\n"
           "  if (!r.ok) throw new Error(r.url.replace(location.origin, \"\") + \": HTTP \" + r.status);\n"
           "  return r.json();\n"
           "}\n"
           /* swap <main> for the server's current rendering */
           "function rerender() {\n"
           "  return fetch(\"/\", {cache: \"no-store\"}).then(function (r) { return r.text(); }).then(function (h) {\n"
           "    var doc = new DOMParser().parseFromString(h, \"text/html\");\n"
           "    var m = doc.querySelector(\"main\"), cur = document.querySelector(\"main\");\n"
           "    if (m && cur) cur.replaceWith(document.adoptNode(m));\n"
           "  });\n"
           "}\n"
           "function tick() {\n"
           "  fetch(\"/api/summary\", {cache: \"no-store\"}).then(json).then(function (j) {\n"
           "    var key = [j.records, j.newest_ts, j.alerts, j.clusters_updated_at].join(\"/\");\n"
           "    var changed = last !== null && key !== last;\n"
           "    last = key;\n"
           "    return (changed ? rerender() : Promise.resolve()).then(function () { return j; });\n"
           "  }).then(function (j) {\n"
           "    d.setAttribute(\"data-live\", \"ok\");\n"
           "    d.setAttribute(\"data-updated\", new Date().toISOString());\n"
           "    status(\"live \\u00b7 \" + j.records + \" records \\u00b7 checked \" + new Date().toLocaleTimeString());\n"
           "  }).catch(function (e) {\n"
           "    d.setAttribute(\"data-live\", \"retrying\");\n"
           "    status(\"update failed (\" + e.message + \"), retrying\");\n"
           "  }).then(function () { setTimeout(tick, REFRESH_MS); });\n"
           "}\n"
           "if (document.readyState === \"loading\") document.addEventListener(\"DOMContentLoaded\", tick);\n"
           "else tick();\n"
           "})();\n</script>\n");
}

void cx_rp_dash_bar(cx_buf *b) {
    LIT(b, "<p class=\"dash-bar note\" id=\"dash-bar\"><span id=\"dash-status\">live</span> \xC2\xB7 JSON API: "
           "<a href=\"/api/summary\">summary</a> <a href=\"/api/themes\">themes</a> "
           "<a href=\"/api/clusters\">clusters</a> <a href=\"/api/alerts\">alerts</a> "
           "<a href=\"/api/records?limit=20\">records</a></p>\n");
}
