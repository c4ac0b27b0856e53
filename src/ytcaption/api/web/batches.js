// Batches on the page: a playlist, channel or feed as one batch of transcriptions, its entries and their
// status. Every way in and out is a plain link (#/b/<id>, #/t/<job id>), so it opens in a new tab too.
import { el } from "./dom.js";

export const BATCH_ACTIVE = new Set(["EXPANDING", "RUNNING"]);

export function batchTitle(batch) {
  return batch.title || batch.url;
}

export function batchHref(id) {
  return `#/b/${encodeURIComponent(id)}`;
}

export function transcriptHref(jobId) {
  return `#/t/${encodeURIComponent(jobId)}`;
}

function countsText(batch) {
  const parts = Object.entries(batch.counts || {}).map(([status, n]) => `${n} ${status.toLowerCase()}`);
  return [`${batch.total} ${batch.total === 1 ? "entry" : "entries"}`, ...parts].join(" · ");
}

/** A batch in the list: its link, status and progress. */
export function batchItem(batch) {
  return el("li", { class: "job batch-row", "data-id": batch.id },
    el("div", { class: "job-main" },
      el("a", { class: "job-title", href: batchHref(batch.id) }, batchTitle(batch)),
      el("span", { class: "badge", "data-status": batch.status }, batch.status),
    ),
    el("div", { class: "muted job-facts" }, countsText(batch), ` · ${batch.progress}%`),
  );
}

/** The batch's head: status, counts, overall progress, the reason it failed. */
export function batchSummary(batch) {
  return [
    el("p", { class: "muted" }, el("span", { class: "badge", "data-status": batch.status, id: "batch-status" }, batch.status),
      " ", countsText(batch)),
    el("div", { class: "job-progress" },
      el("progress", { max: 100, value: batch.progress, "aria-label": "Batch progress" }),
      el("span", {}, `${batch.progress}%`)),
    batch.error_code ? el("p", { class: "job-error" }, el("strong", {}, batch.error_code), ": ", batch.error_reason || "") : null,
  ].filter(Boolean);
}

/** One entry: its title (linking to its source), status, progress, reason, and its transcript's link. */
export function entryItem(entry, active) {
  const running = active.has(entry.status);
  return el("li", { class: "job entry", "data-entry": entry.entry_id, "data-job": entry.job_id },
    el("div", { class: "job-main" },
      el("a", { class: "job-title", href: entry.url, rel: "noopener noreferrer", target: "_blank" }, entry.title || entry.entry_id),
      el("span", { class: "badge", "data-status": entry.status }, entry.status),
    ),
    running ? el("div", { class: "job-progress" },
      el("progress", { max: 100, value: entry.progress, "aria-label": `${entry.title || entry.entry_id} progress` }),
      el("span", {}, `${entry.progress}%`)) : null,
    entry.error_code ? el("p", { class: "job-error" }, el("strong", {}, entry.error_code), ": ", entry.error_reason || "") : null,
    entry.status === "COMPLETED" && entry.job_id
      ? el("div", { class: "job-actions" }, el("a", { class: "button", href: transcriptHref(entry.job_id) }, "Open transcript"))
      : null,
  );
}
