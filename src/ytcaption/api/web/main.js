// YTCaption's web page: sign in with a key, submit links or files, follow jobs, read transcripts.
import { Api, ApiError, postForm } from "./api.js";
import { changedNames, colourOf, labelsOf, nameOf } from "./speakers.js";

const ACTIVE = new Set(["PENDING", "DOWNLOADING", "QUEUED", "TRANSCRIBING"]);
const POLL_MS = 2000;
const STORE = sessionStorage; // the key lives as long as this tab, never in a URL
const FALLBACK_MODELS = ["tiny", "base", "small", "medium", "large-v3", "turbo"];

const $ = (id) => document.getElementById(id);
const state = { api: null, jobs: [], limit: 20, timer: null, pending: new Set(), open: null, segments: [], names: {}, matches: [], current: -1 };

// -- small helpers --------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function clock(seconds, { millis = false } = {}) {
  const total = Math.max(0, seconds || 0);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = Math.floor(total % 60);
  const pad = (n) => String(n).padStart(2, "0");
  const head = h ? `${h}:${pad(m)}` : `${m}`;
  const tail = millis ? `.${String(Math.floor((total % 1) * 1000)).padStart(3, "0")}` : "";
  return `${head}:${pad(s)}${tail}`;
}

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

async function signIn(key, base) {
  const api = new Api(base, key);
  await api.jobs(1); // 401 for a bad key, a network error for a wrong address
  STORE.setItem("ytc.key", key);
  STORE.setItem("ytc.base", base || "");
  state.api = api;
  $("signin").hidden = true;
  $("who").hidden = false;
  $("tenant-label").textContent = base ? `API: ${api.base}` : "";
  loadModels();
  route();
}

function signOut(reason) {
  STORE.removeItem("ytc.key");
  state.api = null;
  clearTimeout(state.timer);
  state.jobs = [];
  $("job-list").replaceChildren();
  $("workspace").hidden = true;
  $("transcript").hidden = true;
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
  if (state.api && (state.jobs.some((j) => ACTIVE.has(j.status)) || state.pending.size)) {
    state.timer = setTimeout(refreshJobs, POLL_MS);
  }
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
    await state.api.cancel(job.id);
    announce(`${jobTitle(job)}: cancelled`);
  } catch (error) {
    showProblem($("jobs-error"), error);
  }
  refreshJobs();
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
    if (form.kind.value === "url") {
      const url = form.url.value.trim();
      if (!url) throw new ApiError(422, { title: "The request is not valid", detail: "Give the URL of a video or an audio file." });
      const job = await state.api.create({ source: { url }, ...options() });
      announce(`Requested: ${jobTitle(job)}`);
      form.url.value = "";
    } else {
      const file = form.file.files[0];
      if (!file) throw new ApiError(422, { title: "The request is not valid", detail: "Choose a file to upload." });
      await uploadFile(file);
      form.file.value = "";
      $("file-name").textContent = "";
    }
  } catch (error) {
    showProblem(box, error);
  } finally {
    button.disabled = false;
  }
  refreshJobs();
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
    await startUpload(ticket.upload_id);
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
  const section = $("transcript");
  state.open = id;
  $("workspace").hidden = true;
  section.hidden = false;
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
    const colour = speaker ? colourOf(speaker) : null;
    // A turn starts where the speaker changes: its head names who speaks.
    if (speaker && speaker !== previous) {
      items.push(el("li", { class: `turn-head spk-c${colour}`, "data-speaker": speaker },
        el("span", { class: "speaker-chip" }, nameOf(speaker, state.names))));
    }
    previous = speaker;
    items.push(el("li", { class: speaker ? `turn spk-c${colour}` : null, "data-speaker": speaker },
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
  $("speaker-list").replaceChildren(...labels.map((label) =>
    el("li", { class: `spk-c${colourOf(label)}`, "data-speaker": label },
      el("span", { class: "swatch", "aria-hidden": "true" }),
      el("label", { for: `name-${colourOf(label)}-${labels.indexOf(label)}` }, label),
      el("input", { id: `name-${colourOf(label)}-${labels.indexOf(label)}`, type: "text", maxlength: 100, "data-label": label,
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
  const match = /^#\/t\/(.+)$/.exec(location.hash);
  if (match) {
    openTranscript(decodeURIComponent(match[1]));
  } else {
    state.open = null;
    $("player").pause();
    $("transcript").hidden = true;
    $("workspace").hidden = false;
    refreshJobs();
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
      await signIn(key, $("api-base").value.trim());
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
      const file = $("new-form").kind.value === "file";
      $("url-field").hidden = file;
      $("file-field").hidden = !file;
    });
  }
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
$("api-base").value = savedBase;
if (savedKey) {
  signIn(savedKey, savedBase).catch((error) => {
    STORE.removeItem("ytc.key");
    showProblem($("signin-error"), error);
  });
} else {
  $("api-key").focus();
}
