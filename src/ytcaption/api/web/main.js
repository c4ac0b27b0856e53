// YTCaption's web page: sign in with a key, submit links or files, follow jobs, read transcripts.
import { Api, ApiError, postForm } from "./api.js";
import { BATCH_ACTIVE, batchHref, batchItem, batchSummary, batchTitle, entryItem } from "./batches.js";
import { clock, el } from "./dom.js";
import { Follow } from "./live.js";
import { changedNames, labelsOf, nameOf, speakerClass } from "./speakers.js";

const ACTIVE = new Set(["PENDING", "DOWNLOADING", "QUEUED", "TRANSCRIBING"]);
const POLL_MS = 2000;
const STORE = sessionStorage; // the key lives as long as this tab, never in a URL
const FALLBACK_MODELS = ["tiny", "base", "small", "medium", "large-v3", "turbo"];

const $ = (id) => document.getElementById(id);
const state = {
  api: null, jobs: [], limit: 20, timer: null, pending: new Set(), open: null, segments: [], names: {}, matches: [], current: -1,
  follow: null, seen: new Map(), fetching: new Map(), batches: [], batch: null, batchTimer: null,
};
// Polling is what the page does only while the live socket is not working.
const polling = () => !(state.follow && state.follow.live);

// -- small helpers --------------------------------------------------------------------

function announce(text) {
  $("status").textContent = text;
}

/** Problem details (title, detail, field errors) into a box; null clears it. */
function showProblem(box, error) {
  box.replaceChildren();
  box.hidden = !error;
  if (!error) return;
  const problem = error instanceof ApiError ? error.problem : { title: "Something went wrong", detail: String(error.message || error) };
  box.append(el("strong", {}, problem.title || "Error"));
  if (problem.detail) box.append(el("p", {}, problem.detail));
  if (Array.isArray(problem.errors) && problem.errors.length) {
    box.append(el("ul", {}, problem.errors.map((e) => el("li", {}, el("code", {}, e.field), " ", e.message))));
  }
  if (error instanceof ApiError && error.status === 401 && state.api && box.id !== "signin-error") signOut(problem.detail);
}

function jobTitle(job) {
  return (job.media && job.media.title) || job.source.filename || job.source.url || job.id;
}

// -- sign in / out --------------------------------------------------------------------

async function signIn(key, base, live = "") {
  const api = new Api(base, key);
  await api.jobs(1); // 401 for a bad key, a network error for a wrong address
  STORE.setItem("ytc.key", key);
  STORE.setItem("ytc.base", base || "");
  STORE.setItem("ytc.live", live || "");
  state.api = api;
  startFollowing(STORE.getItem("ytc.live") || "");
  $("signin").hidden = true;
  $("who").hidden = false;
  $("tenant-label").textContent = base ? `API: ${api.base}` : "";
  loadModels();
  route();
}

function signOut(reason) {
  STORE.removeItem("ytc.key");
  state.api = null;
  state.follow?.stop();
  state.follow = null;
  clearTimeout(state.timer);
  clearTimeout(state.batchTimer);
  state.jobs = [];
  $("job-list").replaceChildren();
  $("workspace").hidden = true;
  $("transcript").hidden = true;
  $("batch").hidden = true;
  $("who").hidden = true;
  $("signin").hidden = false;
  $("api-key").value = "";
  if (reason) showProblem($("signin-error"), new ApiError(401, { title: "Signed out", detail: reason }));
  $("api-key").focus();
}

// -- the job list ---------------------------------------------------------------------

async function loadModels() {
  try {
    const models = await state.api.models();
    const select = $("model");
    select.replaceChildren(el("option", { value: "" }, `server default (${models.default})`));
    for (const name of models.served || FALLBACK_MODELS) {
      if (name !== models.default) select.append(el("option", { value: name }, name));
    }
  } catch {
    /* the default option stays */
  }
}

async function refreshJobs() {
  clearTimeout(state.timer);
  if (!state.api) return;
  try {
    const page = await state.api.jobs(state.limit);
    const before = new Map(state.jobs.map((j) => [j.id, j.status]));
    state.jobs = page.items;
    for (const job of page.items) {
      const was = before.get(job.id);
      if (was && was !== job.status && !ACTIVE.has(job.status)) announce(`${jobTitle(job)}: ${job.status.toLowerCase()}`);
    }
    $("more").hidden = !page.next_cursor || state.limit >= 100;
    showProblem($("jobs-error"), null);
    renderJobs();
  } catch (error) {
    showProblem($("jobs-error"), error);
  }
  const batchesActive = state.batches.some((b) => BATCH_ACTIVE.has(b.status));
  // The list is polled while it is shown (a batch or a transcript open polls its own, or nothing).
  if (state.api && polling() && !$("workspace").hidden && (state.jobs.some((j) => ACTIVE.has(j.status)) || state.pending.size || batchesActive)) {
    state.timer = setTimeout(() => {
      refreshJobs();
      if (batchesActive) refreshBatches();
    }, POLL_MS);
  }
}

/** One job as the API has it now, put in the list (new ones at the top). */
function upsertJob(job) {
  const at = state.jobs.findIndex((j) => j.id === job.id);
  if (at < 0) state.jobs.unshift(job);
  else if (ACTIVE.has(state.jobs[at].status) || !ACTIVE.has(job.status)) state.jobs[at] = job; // an ended job stays ended
  renderJobs();
}

/** Read one job again (once more after the read under way, when an event came meanwhile). */
async function fetchJob(id) {
  if (!state.api) return;
  if (state.fetching.has(id)) return state.fetching.set(id, true);
  state.fetching.set(id, false);
  try {
    upsertJob(await state.api.job(id));
  } catch {
    /* gone or not ours: nothing to show */
  }
  const again = state.fetching.get(id);
  state.fetching.delete(id);
  if (again) fetchJob(id);
}

function renderJobs() {
  const list = $("job-list");
  $("jobs-empty").hidden = state.jobs.length > 0;
  list.replaceChildren(...state.jobs.map(jobItem));
}

function jobItem(job) {
  const active = ACTIVE.has(job.status);
  const facts = [];
  if (job.media && job.media.duration) facts.push(clock(job.media.duration));
  if (job.language) facts.push(job.language);
  facts.push(job.options.model);
  facts.push(new Date(job.created_at).toLocaleString());
  return el("li", { class: `job status-${job.status.toLowerCase()}`, "data-id": job.id },
    el("div", { class: "job-main" },
      el("span", { class: "job-title" }, jobTitle(job)),
      el("span", { class: "badge", "data-status": job.status }, job.status),
    ),
    el("div", { class: "muted job-facts" }, facts.join(" · ")),
    active ? el("div", { class: "job-progress" },
      el("progress", { max: 100, value: job.progress, "aria-label": `${jobTitle(job)} progress` }),
      el("span", {}, `${job.progress}%`, job.eta_seconds ? ` · about ${clock(job.eta_seconds)} left` : "")) : null,
    job.error ? el("p", { class: "job-error" }, el("strong", {}, job.error.code), ": ", job.error.reason) : null,
    el("div", { class: "job-actions" },
      job.status === "COMPLETED" ? el("a", { class: "button", href: `#/t/${encodeURIComponent(job.id)}` }, "Open transcript") : null,
      active ? el("button", { type: "button", class: "quiet", onclick: () => cancelJob(job) }, "Cancel") : null,
    ),
  );
}

async function cancelJob(job) {
  try {
    upsertJob(await state.api.cancel(job.id));
    announce(`${jobTitle(job)}: cancelled`);
  } catch (error) {
    showProblem($("jobs-error"), error);
  }
  if (polling()) refreshJobs();
}

// -- following: live events, or polling ---------------------------------------------------------

const MODE_TEXT = {
  connecting: "Connecting to live updates…",
  live: "Live updates",
  polling: `Polling every ${POLL_MS / 1000} s`,
};

function startFollowing(liveUrl) {
  state.follow?.stop();
  // The address the serving API names (AWS: its WebSocket API's), when the page talks to that API.
  const named = STORE.getItem("ytc.base") ? "" : document.querySelector('meta[name="ytc-live-url"]')?.content || "";
  let url;
  try {
    url = state.api.liveUrl(liveUrl || named);
  } catch {
    url = "invalid:";
  }
  state.follow = new Follow(url, { onEvent, onMode });
  onMode("connecting", "");
  state.follow.start();
}

function onMode(mode, reason) {
  const badge = $("updates");
  badge.dataset.mode = mode;
  badge.textContent = MODE_TEXT[mode];
  badge.title = reason ? `Live updates unavailable: ${reason}` : "";
  if (mode === "connecting" || !state.api) return;
  if (mode === "live") {
    clearTimeout(state.timer);
    clearTimeout(state.batchTimer);
  }
  // Catch up once (live: what happened while connecting; polling: the polls start).
  if (!$("workspace").hidden) {
    refreshJobs();
    refreshBatches();
  }
  if (state.batch) refreshBatch();
}

/** A job (or batch) event from the socket: applied in place; only new jobs and ended ones are read again. */
function onEvent(event) {
  const data = event.data || {};
  if (event.event_type === "batch.completed") {
    if (state.batch === event.correlation_id) refreshBatch();
    if (!$("workspace").hidden) refreshBatches();
    return;
  }
  const id = event.correlation_id;
  const sequence = Number(event.sequence) || 0;
  // Events may come out of order: one older than what was already applied is ignored.
  if (sequence && sequence <= (state.seen.get(id) || 0)) return;
  if (sequence) state.seen.set(id, sequence);
  const job = state.jobs.find((j) => j.id === id);
  if (!job) {
    fetchJob(id);
  } else if (ACTIVE.has(job.status) && data.status) {
    if (!ACTIVE.has(data.status)) {
      fetchJob(id); // ended: its results, error and facts
      if (job.status !== data.status) announce(`${jobTitle(job)}: ${data.status.toLowerCase()}`);
    }
    job.status = data.status;
    if (typeof data.progress === "number") job.progress = data.progress;
    if ("eta_seconds" in data) job.eta_seconds = data.eta_seconds;
    renderJobs();
  }
  if (state.batch) soonRefreshBatch();
  else if (!$("workspace").hidden && state.batches.some((b) => BATCH_ACTIVE.has(b.status))) soonRefreshBatches();
}

let batchSoon = null;
let batchesSoon = null;
function soonRefreshBatch() {
  clearTimeout(batchSoon);
  batchSoon = setTimeout(refreshBatch, 400);
}
function soonRefreshBatches() {
  clearTimeout(batchesSoon);
  batchesSoon = setTimeout(refreshBatches, 1000);
}

// -- batches --------------------------------------------------------------------------------------

async function refreshBatches() {
  if (!state.api) return;
  try {
    state.batches = (await state.api.batches(10)).items;
    $("batches").hidden = state.batches.length === 0;
    $("batch-list").replaceChildren(...state.batches.map(batchItem));
    showProblem($("batches-error"), null);
  } catch (error) {
    showProblem($("batches-error"), error);
  }
}

/** One of the three views: "workspace" (the lists and the form), "transcript" or "batch". */
function show(view) {
  for (const name of ["workspace", "transcript", "batch"]) $(name).hidden = name !== view;
  if (view !== "transcript") {
    state.open = null;
    $("player").pause();
  }
  if (view !== "batch") state.batch = null;
}

function openBatch(id) {
  show("batch");
  state.batch = id;
  $("batch-title").textContent = "Loading…";
  $("batch-source").textContent = "";
  $("batch-summary").replaceChildren();
  $("entries").replaceChildren();
  showProblem($("batch-error"), null);
  refreshBatch().then(() => $("batch-title").focus?.());
}

async function refreshBatch() {
  clearTimeout(state.batchTimer);
  const id = state.batch;
  if (!id || !state.api) return;
  let batch;
  try {
    batch = await state.api.batch(id);
  } catch (error) {
    if (state.batch === id) showProblem($("batch-error"), error);
    return;
  }
  if (state.batch !== id) return;
  showProblem($("batch-error"), null);
  $("batch-title").textContent = batchTitle(batch);
  $("batch-source").replaceChildren(el("a", { href: batch.url, rel: "noopener noreferrer", target: "_blank" }, batch.url));
  $("batch-summary").replaceChildren(...batchSummary(batch));
  $("entries").replaceChildren(...(batch.entries || []).map((entry) => entryItem(entry, ACTIVE)));
  const active = BATCH_ACTIVE.has(batch.status);
  $("cancel-batch").hidden = !active;
  if (active && polling()) state.batchTimer = setTimeout(refreshBatch, POLL_MS);
}

async function cancelBatch() {
  const id = state.batch;
  try {
    await state.api.cancelBatch(id);
    announce("Batch cancelled");
  } catch (error) {
    showProblem($("batch-error"), error);
  }
  refreshBatch();
}

async function createBatch(url) {
  const body = { url, ...options() };
  // A batch goes at low priority (the API's default) unless another than the form's default is chosen.
  if (body.priority === "normal") delete body.priority;
  const batch = await state.api.createBatch(body);
  announce(`Batch requested: ${batchTitle(batch)}`);
  location.hash = batchHref(batch.id);
}

// -- a new transcription --------------------------------------------------------------

function options() {
  const form = $("new-form");
  const body = { priority: form.priority.value };
  if (form.model.value) body.model = form.model.value;
  const language = form.language.value.trim();
  if (language) body.language = language;
  if (form.translate.checked) body.task = "translate";
  if (form.word_timestamps.checked) body.word_timestamps = true;
  if (form.speakers.value === "auto") body.speakers = "auto";
  if (form.speakers.value === "count") body.speakers = Number(form.speaker_count.value);
  return body;
}

async function submit(event) {
  event.preventDefault();
  const form = $("new-form");
  const box = $("new-error");
  showProblem(box, null);
  const button = $("submit");
  button.disabled = true;
  try {
    if (form.kind.value !== "file") {
      const url = form.url.value.trim();
      if (!url) throw new ApiError(422, { title: "The request is not valid", detail: "Give the URL of a video, an audio file, a playlist or a feed." });
      if (form.kind.value === "batch") {
        await createBatch(url);
      } else {
        try {
          const job = await state.api.create({ source: { url }, ...options() });
          announce(`Requested: ${jobTitle(job)}`);
          upsertJob(job);
        } catch (error) {
          // The API points a playlist, channel or feed to batches: follow the pointer.
          if (!(error instanceof ApiError && error.problem.code === "use-batches")) throw error;
          await createBatch(url);
        }
      }
      form.url.value = "";
    } else {
      const file = form.file.files[0];
      if (!file) throw new ApiError(422, { title: "The request is not valid", detail: "Choose a file to upload." });
      upsertJob(await uploadFile(file));
      form.file.value = "";
      $("file-name").textContent = "";
    }
  } catch (error) {
    showProblem(box, error);
  } finally {
    button.disabled = false;
  }
  if (polling()) refreshJobs();
}

async function uploadFile(file) {
  const bar = $("upload-progress");
  const text = $("upload-text");
  const ticket = await state.api.ticket({ filename: file.name, size_bytes: file.size, ...options() });
  bar.hidden = false;
  bar.value = 0;
  announce(`Uploading ${file.name}`);
  try {
    await postForm(ticket, file, (fraction) => {
      bar.value = Math.round(fraction * 100);
      text.textContent = `${Math.round(fraction * 100)}% of ${(file.size / 1e6).toFixed(1)} MB`;
    });
  } finally {
    bar.hidden = true;
    text.textContent = "";
  }
  announce(`${file.name} uploaded; its transcription starts`);
  state.pending.add(ticket.upload_id);
  try {
    return await startUpload(ticket.upload_id);
  } finally {
    state.pending.delete(ticket.upload_id);
  }
}

/** The upload's job: its own S3 event starts it, and so does this request, whichever comes first. */
async function startUpload(uploadId) {
  for (let tries = 0; ; tries++) {
    try {
      return await state.api.create({ source: { upload_id: uploadId } });
    } catch (error) {
      const notYet = error instanceof ApiError && error.problem.code === "upload-not-received";
      if (!notYet || tries >= 40) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

// -- the transcript -------------------------------------------------------------------

async function openTranscript(id) {
  show("transcript");
  state.open = id;
  $("segments").replaceChildren();
  $("transcript-title").textContent = "Loading…";
  $("transcript-meta").textContent = "";
  $("search").value = "";
  $("match-count").textContent = "";
  showProblem($("transcript-error"), null);
  const player = $("player");
  player.removeAttribute("src");
  player.hidden = true;
  $("audio-note").hidden = true;
  $("speakers").hidden = true;
  try {
    const [job, response] = await Promise.all([state.api.job(id), state.api.result(id, "json")]);
    if (state.open !== id) return;
    const transcript = await response.json();
    $("transcript-title").textContent = jobTitle(job);
    const facts = [job.language, job.media && job.media.duration ? clock(job.media.duration) : null, job.options.model];
    $("transcript-meta").textContent = facts.filter(Boolean).join(" · ");
    state.segments = transcript.segments || [];
    state.names = transcript.speaker_names || {};
    $("speaker-filter").value = "";
    renderSpeakers();
    renderSegments();
    $("transcript-title").focus?.();
    announce(`Transcript of ${jobTitle(job)}: ${state.segments.length} segments`);
    loadAudio(id);
  } catch (error) {
    $("transcript-title").textContent = "Transcript";
    showProblem($("transcript-error"), error);
  }
}

async function loadAudio(id) {
  const player = $("player");
  try {
    const link = await state.api.audio(id);
    if (state.open !== id) return;
    player.src = link.url;
    player.hidden = false;
  } catch (error) {
    const note = $("audio-note");
    note.hidden = false;
    note.textContent = error instanceof ApiError && error.status === 404 ? "No audio for this transcription (captions or a cached result)." : `Audio unavailable: ${error.message}`;
  }
}

function seek(seconds) {
  const player = $("player");
  if (!player.src) return;
  const go = () => {
    player.currentTime = seconds;
    player.play().catch(() => {});
  };
  if (player.readyState >= 1) go();
  else player.addEventListener("loadedmetadata", go, { once: true });
}

function renderSegments() {
  const items = [];
  let previous = null;
  state.segments.forEach((segment, index) => {
    const speaker = segment.speaker || null;
    const drawn = speaker ? speakerClass(speaker) : null;
    // A turn starts where the speaker changes: its head names who speaks.
    if (speaker && speaker !== previous) {
      items.push(el("li", { class: `turn-head ${drawn}`, "data-speaker": speaker },
        el("span", { class: "speaker-chip" }, nameOf(speaker, state.names))));
    }
    previous = speaker;
    items.push(el("li", { class: speaker ? `turn ${drawn}` : null, "data-speaker": speaker },
      el("button", { type: "button", class: "segment", "data-index": index, "data-start": segment.start, onclick: () => seek(segment.start),
        "aria-label": `Play from ${clock(segment.start)}` },
        el("span", { class: "time" }, clock(segment.start)),
        el("span", { class: "text" }, segment.text.trim()),
      ),
    ));
  });
  $("segments").replaceChildren(...items);
  filterSpeaker();
}

// -- speakers: names and the filter -------------------------------------------------------

function renderSpeakers() {
  const labels = labelsOf(state.segments);
  $("speakers").hidden = labels.length === 0;
  $("speaker-list").replaceChildren(...labels.map((label, index) =>
    el("li", { class: speakerClass(label), "data-speaker": label },
      el("span", { class: "swatch", "aria-hidden": "true" }),
      el("label", { for: `name-${index}` }, label),
      el("input", { id: `name-${index}`, type: "text", maxlength: 100, "data-label": label,
        value: state.names[label] || "", placeholder: label, autocomplete: "off", spellcheck: "false" }),
    )));
  const filter = $("speaker-filter");
  const chosen = filter.value;
  filter.replaceChildren(el("option", { value: "" }, "All speakers"),
    ...labels.map((label) => el("option", { value: label }, nameOf(label, state.names))));
  filter.value = labels.includes(chosen) ? chosen : "";
}

/** Only the chosen speaker's turns (all when none is chosen); search then counts what is shown. */
function filterSpeaker() {
  const chosen = $("speaker-filter").value;
  for (const item of $("segments").children) {
    item.hidden = Boolean(chosen) && item.dataset.speaker !== chosen;
  }
  search();
}

async function saveNames(event) {
  event.preventDefault();
  const id = state.open;
  const changed = changedNames($("speaker-list").querySelectorAll("input"), state.names);
  showProblem($("transcript-error"), null);
  if (!Object.keys(changed).length) return announce("No name changed");
  const button = $("save-names");
  button.disabled = true;
  try {
    await state.api.rename(id, changed);
    // The stored results are rendered again with the names: read the new JSON.
    const transcript = await (await state.api.result(id, "json")).json();
    if (state.open !== id) return;
    state.segments = transcript.segments || [];
    state.names = transcript.speaker_names || {};
    renderSpeakers();
    renderSegments();
    announce(`Speakers named: ${Object.entries(changed).map(([label, name]) => `${label} → ${name || label}`).join(", ")}`);
  } catch (error) {
    showProblem($("transcript-error"), error);
  } finally {
    button.disabled = false;
  }
}

function search() {
  const query = $("search").value.trim().toLowerCase();
  state.matches = [];
  state.current = -1;
  for (const button of $("segments").querySelectorAll(".segment")) {
    const span = button.querySelector(".text");
    const text = state.segments[Number(button.dataset.index)].text.trim();
    span.replaceChildren();
    if (!query || button.parentElement.hidden) {
      span.textContent = text;
      continue;
    }
    const lower = text.toLowerCase();
    let at = 0;
    for (let hit = lower.indexOf(query); hit !== -1; hit = lower.indexOf(query, at)) {
      span.append(text.slice(at, hit));
      const mark = el("mark", {}, text.slice(hit, hit + query.length));
      span.append(mark);
      state.matches.push(mark);
      at = hit + query.length;
    }
    span.append(text.slice(at));
  }
  $("match-count").textContent = query ? `${state.matches.length} match${state.matches.length === 1 ? "" : "es"}` : "";
  if (state.matches.length) jump(1);
}

function jump(step) {
  if (!state.matches.length) return;
  state.matches[state.current]?.classList.remove("current");
  state.current = (state.current + step + state.matches.length) % state.matches.length;
  const mark = state.matches[state.current];
  mark.classList.add("current");
  mark.scrollIntoView({ block: "center", behavior: "smooth" });
  $("match-count").textContent = `${state.current + 1} of ${state.matches.length}`;
}

// The subtitle settings filled in beside the download buttons (SRT and VTT only; empty = default).
function subtitleSettings(format) {
  const settings = {};
  if (format !== "srt" && format !== "vtt") return settings;
  for (const input of document.querySelectorAll("#subtitle-settings input[type=number]")) {
    if (input.value !== "") settings[input.name] = input.value;
  }
  if (format === "vtt" && $("sub-karaoke").checked) settings.karaoke = "true";
  return settings;
}

async function download(format) {
  const id = state.open;
  try {
    const response = await state.api.result(id, format, subtitleSettings(format));
    const blob = await response.blob();
    const link = el("a", { href: URL.createObjectURL(blob), download: `${id}.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    announce(`Downloaded ${id}.${format}`);
  } catch (error) {
    showProblem($("transcript-error"), error);
  }
}

async function copyText() {
  const text = state.segments.map((s) => (s.speaker ? `${nameOf(s.speaker, state.names)}: ` : "") + s.text.trim()).join("\n");
  try {
    await navigator.clipboard.writeText(text);
    announce("Transcript copied to the clipboard");
  } catch {
    const area = el("textarea", { class: "visually-hidden" }, text);
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    announce(ok ? "Transcript copied to the clipboard" : "Copying is not allowed here; select the text instead");
  }
}

// -- navigation -----------------------------------------------------------------------

function route() {
  if (!state.api) return;
  const match = /^#\/([tb])\/(.+)$/.exec(location.hash);
  clearTimeout(state.batchTimer);
  if (match && match[1] === "t") {
    openTranscript(decodeURIComponent(match[2]));
  } else if (match) {
    openBatch(decodeURIComponent(match[2]));
  } else {
    show("workspace");
    refreshJobs();
    refreshBatches();
  }
}

function wire() {
  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    const box = $("signin-error");
    showProblem(box, null);
    if (!key) return showProblem(box, new ApiError(401, { title: "Missing API key", detail: "Paste your API key." }));
    try {
      await signIn(key, $("api-base").value.trim(), $("live-url").value.trim());
      announce("Signed in");
    } catch (error) {
      showProblem(box, error);
    }
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("home-link").addEventListener("click", (event) => {
    event.preventDefault();
    location.hash = "";
  });
  $("back").addEventListener("click", () => (location.hash = ""));
  $("refresh").addEventListener("click", refreshJobs);
  $("more").addEventListener("click", () => {
    state.limit = Math.min(100, state.limit + 20);
    refreshJobs();
  });
  $("new-form").addEventListener("submit", submit);
  for (const radio of document.querySelectorAll('input[name="kind"]')) {
    radio.addEventListener("change", () => {
      const kind = $("new-form").kind.value;
      $("url-field").hidden = kind === "file";
      $("file-field").hidden = kind !== "file";
      $("url-label").textContent = kind === "batch" ? "Playlist, channel or feed URL" : "Video or audio URL";
    });
  }
  $("cancel-batch").addEventListener("click", cancelBatch);
  $("file").addEventListener("change", () => {
    $("file-name").textContent = $("file").files[0]?.name || "";
  });
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files.length) {
      $("file").files = event.dataTransfer.files;
      $("file-name").textContent = event.dataTransfer.files[0].name;
    }
  });
  $("search").addEventListener("input", search);
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    jump(1);
  });
  $("search").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.shiftKey) {
      event.preventDefault();
      jump(-1);
    }
  });
  $("next-match").addEventListener("click", () => jump(1));
  $("prev-match").addEventListener("click", () => jump(-1));
  for (const button of document.querySelectorAll("[data-format]")) {
    button.addEventListener("click", () => download(button.dataset.format));
  }
  $("copy").addEventListener("click", copyText);
  $("speakers-form").addEventListener("submit", saveNames);
  $("speaker-filter").addEventListener("change", filterSpeaker);
  $("speakers-mode").addEventListener("change", () => {
    $("speaker-count").hidden = $("speakers-mode").value !== "count";
  });
  window.addEventListener("hashchange", route);
}

wire();
const savedKey = STORE.getItem("ytc.key");
const savedBase = STORE.getItem("ytc.base") || "";
const savedLive = STORE.getItem("ytc.live") || "";
$("api-base").value = savedBase;
$("live-url").value = savedLive;
if (savedKey) {
  signIn(savedKey, savedBase, savedLive).catch((error) => {
    STORE.removeItem("ytc.key");
    showProblem($("signin-error"), error);
  });
} else {
  $("api-key").focus();
}
