// SQL editor, CSV upload with live job progress, jobs, logs.
import { h, replace, grid, attempt, errorBox } from "./dom.js";

export async function sqlPage({ session, main }) {
  const editor = h("textarea", { class: "code", id: "sql-editor", spellcheck: false });
  editor.value = sessionStorage.getItem("lyre.studio.sql") ?? "SELECT * FROM data.dog LIMIT 10";
  const result = h("div", { id: "sql-result" });
  const plan = h("div", { id: "sql-plan" });
  const run = async (explain) => {
    sessionStorage.setItem("lyre.studio.sql", editor.value);
    replace(plan);
    const sql = explain ? `EXPLAIN ${editor.value.replace(/^\s*EXPLAIN\s+/i, "")}` : editor.value;
    const started = performance.now();
    const answer = await attempt(result, () => session.call({ operation: "sql", sql }));
    if (answer === undefined) return;
    const took = `${Math.round(performance.now() - started)} ms`;
    const target = explain ? plan : result;
    if (Array.isArray(answer)) {
      replace(target, h("p", { class: "muted" }, `${answer.length} row${answer.length === 1 ? "" : "s"} · ${took}`),
        answer.length ? grid(answer) : null);
    } else {
      replace(target, h("p", { class: "muted" }, took), h("pre", {}, JSON.stringify(answer, null, 2)));
    }
  };
  editor.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(false); }
  });
  replace(main, h("h1", {}, "SQL"),
    h("div", { class: "panel" }, editor,
      h("div", { class: "row" },
        h("button", { class: "primary", id: "run-sql", onclick: () => run(false) }, "Run"),
        h("button", { id: "explain-sql", onclick: () => run(true) }, "Explain"),
        h("span", { class: "muted" }, "Ctrl+Enter runs")),
      plan),
    h("div", { class: "panel" }, result));
}

/** Polls get_job until the job finishes, showing progress; resolves with the job. */
export async function followJob(session, id, slot) {
  const bar = h("progress", { id: "job-progress", max: 1, value: 0 });
  const text = h("span", { class: "muted", id: "job-status" }, "Starting…");
  replace(slot, h("div", { class: "row" }, bar, text));
  for (;;) {
    const [job] = await session.call({ operation: "get_job", id });
    if (!job) throw new Error(`Job ${id} not found.`);
    const progress = job.progress;
    if (progress && progress.total) {
      bar.max = progress.total;
      bar.value = progress.done;
      text.textContent = `${job.status}: ${progress.done} of ${progress.total}`;
    } else {
      text.textContent = job.status;
    }
    if (job.status === "COMPLETE" || job.status === "ERROR" || job.status === "CANCELLED") {
      if (job.status === "COMPLETE") { bar.max = 1; bar.value = 1; }
      replace(slot, h("div", { class: "row" }, bar,
        h("span", { class: `pill ${job.status}`, id: "job-final-status" }, job.status), " ",
        h("span", {}, job.message ?? ""), " ",
        h("a", { href: `#/jobs/${encodeURIComponent(id)}`, id: "job-link" }, "Job details")));
      return job;
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}

export async function uploadPage({ session, main }) {
  const all = await session.call({ operation: "describe_all" }).catch(() => ({}));
  const choices = Object.entries(all).flatMap(([d, tables]) => Object.keys(tables).map((t) => `${d}.${t}`));
  const target = h("input", { id: "upload-target", list: "upload-tables", placeholder: "database.table", value: choices[0] ?? "" });
  const file = h("input", { type: "file", id: "upload-file", accept: ".csv,text/csv" });
  const action = h("select", { id: "upload-action" }, ["insert", "update", "upsert"].map((a) => h("option", { value: a }, a)));
  const slot = h("div", { id: "upload-status" });
  replace(main, h("h1", {}, "CSV upload"),
    h("datalist", { id: "upload-tables" }, choices.map((c) => h("option", { value: c }))),
    h("form", { class: "panel", onsubmit: async (e) => {
      e.preventDefault();
      const dot = target.value.indexOf(".");
      if (dot < 1 || !file.files.length) {
        replace(slot, errorBox(new Error("Choose a table (database.table) and a CSV file.")));
        return;
      }
      const data = await file.files[0].text();
      const started = await attempt(slot, () => session.call({
        operation: "csv_data_load", action: action.value,
        database: target.value.slice(0, dot), table: target.value.slice(dot + 1), data }));
      if (started) await attempt(slot, () => followJob(session, started.job_id, slot));
    } },
    h("div", { class: "row" }, h("label", {}, "Table", target), h("label", {}, "Action", action), h("label", {}, "File", file)),
    h("div", { class: "row" }, h("button", { class: "primary", type: "submit", id: "upload-start" }, "Upload")),
    slot));
}

export async function jobsPage({ session, main }, id) {
  const slot = h("div");
  const lookup = h("input", { placeholder: "job id", id: "job-id", value: id ?? "" });
  replace(main, h("h1", {}, "Jobs"),
    h("form", { class: "panel row", onsubmit: (e) => { e.preventDefault(); location.hash = `#/jobs/${encodeURIComponent(lookup.value)}`; } },
      lookup, h("button", { type: "submit" }, "Show")),
    slot);
  if (id) {
    const jobs = await attempt(slot, () => session.call({ operation: "get_job", id }));
    if (jobs) replace(slot, h("div", { class: "panel" }, jobs.length ? h("pre", { id: "job-detail" }, JSON.stringify(jobs[0], null, 2)) : "No such job."));
    return;
  }
  const to = new Date(Date.now() + 60_000).toISOString();
  const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const jobs = await attempt(slot, () => session.call({ operation: "search_jobs_by_start_date", from_date: from, to_date: to }));
  if (!jobs) return;
  jobs.sort((a, b) => (b.start_datetime ?? 0) - (a.start_datetime ?? 0));
  replace(slot, h("div", { class: "panel" }, h("p", { class: "muted" }, "Jobs started in the last 7 days"),
    jobs.length ? grid(jobs.map((j) => ({ id: j.id, type: j.type, user: j.user, status: j.status, message: j.message,
      started: j.start_datetime_converted ?? "" })), {
      rowActions: (row) => h("a", { href: `#/jobs/${encodeURIComponent(row.id)}` }, "Details"),
    }) : h("p", {}, "No jobs.")));
}

export async function logsPage({ session, main }) {
  const level = h("select", { id: "log-level" }, ["", "notify", "fatal", "error", "warn", "info", "debug", "trace"]
    .map((l) => h("option", { value: l }, l || "all levels")));
  const limit = h("input", { type: "number", min: 1, value: "200", id: "log-limit" });
  const slot = h("div", { id: "log-entries" });
  const load = async () => {
    const body = { operation: "read_log", limit: Number(limit.value) || 200, order: "desc" };
    if (level.value) body.level = level.value;
    const entries = await attempt(slot, () => session.call(body));
    if (entries) replace(slot, entries.length ? grid(entries, { columns: ["timestamp", "level", "thread", "tags", "message"] }) : h("p", {}, "No entries."));
  };
  replace(main, h("h1", {}, "Logs"),
    h("form", { class: "panel row", onsubmit: (e) => { e.preventDefault(); load(); } },
      h("label", {}, "Level", level), h("label", {}, "Limit", limit), h("button", { type: "submit" }, "Show")),
    h("div", { class: "panel" }, slot));
  load();
}
