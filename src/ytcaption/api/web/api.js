// The HTTP API, as the page uses it. The key travels only in the X-Api-Key header, and only to the API.

// A large result is answered with its link (redirect=false) in this media type; the page fetches it from
// S3 itself, without the key (a 303 followed by fetch would carry the key's header across origins).
const RESULT_LINK_TYPE = "application/vnd.ytcaption.result-link+json";

/** An error answered by the API as problem details (RFC 9457), or a network failure. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function problemOf(response) {
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    try {
      return await response.json();
    } catch {
      /* fall through */
    }
  }
  const text = await response.text().catch(() => "");
  return { title: response.statusText || `HTTP ${response.status}`, status: response.status, detail: text.slice(0, 300) };
}

export class Api {
  /** base: "" for this site (where the page is served: its <base>), or an absolute URL. */
  constructor(base, key) {
    this.base = (base || new URL(".", document.baseURI).href).replace(/\/+$/, "");
    this.key = key;
  }

  url(path) {
    return `${this.base}${path}`;
  }

  async request(path, { method = "GET", body, headers = {}, raw = false } = {}) {
    const init = { method, headers: { "X-Api-Key": this.key, ...headers } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(this.url(path), init);
    } catch (err) {
      throw new ApiError(0, { title: "The API cannot be reached", detail: `${this.base}: ${err.message}` });
    }
    if (!response.ok) throw new ApiError(response.status, await problemOf(response));
    return raw ? response : response.json();
  }

  jobs(limit = 20, cursor = null) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    return this.request(`/v1/transcriptions?${query}`);
  }
  job(id) {
    return this.request(`/v1/transcriptions/${encodeURIComponent(id)}`);
  }
  models() {
    return this.request("/v1/models");
  }
  create(body) {
    return this.request("/v1/transcriptions", { method: "POST", body });
  }
  cancel(id) {
    return this.request(`/v1/transcriptions/${encodeURIComponent(id)}`, { method: "DELETE" });
  }
  async result(id, format, settings = {}) {
    const query = new URLSearchParams({ format, ...settings, redirect: "false" });
    const path = `/v1/transcriptions/${encodeURIComponent(id)}/result?${query}`;
    const response = await this.request(path, { raw: true });
    if (!(response.headers.get("Content-Type") || "").startsWith(RESULT_LINK_TYPE)) return response;
    const link = await response.json();
    let stored;
    try {
      stored = await fetch(link.url);
    } catch (err) {
      throw new ApiError(0, { title: "The result cannot be downloaded", detail: `The storage could not be reached: ${err.message}` });
    }
    if (!stored.ok) throw new ApiError(stored.status, await problemOf(stored));
    return stored;
  }
  audio(id) {
    return this.request(`/v1/transcriptions/${encodeURIComponent(id)}/audio?redirect=false`);
  }
  ticket(body) {
    return this.request("/v1/uploads", { method: "POST", body });
  }
  /** Names for speaker labels ({"Speaker 1": "Alice"}): every result format is rendered again. */
  rename(id, speakers) {
    return this.request(`/v1/transcriptions/${encodeURIComponent(id)}`, { method: "PATCH", body: { speakers } });
  }
  createBatch(body) {
    return this.request("/v1/batches", { method: "POST", body });
  }
  batches(limit = 10) {
    return this.request(`/v1/batches?${new URLSearchParams({ limit: String(limit) })}`);
  }
  batch(id) {
    return this.request(`/v1/batches/${encodeURIComponent(id)}`);
  }
  cancelBatch(id) {
    return this.request(`/v1/batches/${encodeURIComponent(id)}`, { method: "DELETE" });
  }
  /** The live-updates WebSocket: the one given, else this API's own /v1/live (the local runtime's). Browsers
   * cannot set a WebSocket's headers, so the key goes in its query string (never in the page's URL). */
  liveUrl(given = "") {
    const url = new URL(given || `${this.base}/v1/live`);
    if (url.protocol === "http:") url.protocol = "ws:";
    if (url.protocol === "https:") url.protocol = "wss:";
    url.searchParams.set("key", this.key);
    return url.href;
  }
}

/** POST the presigned form (every field, then the file), reporting progress as 0..1. */
export function postForm(ticket, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", ticket.url);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      // S3 answers XML: <Error><Code>…</Code><Message>…</Message></Error>
      const message = /<Message>([^<]*)<\/Message>/.exec(xhr.responseText || "");
      const code = /<Code>([^<]*)<\/Code>/.exec(xhr.responseText || "");
      reject(new ApiError(xhr.status, {
        title: "The upload was refused",
        detail: [code && code[1], message && message[1]].filter(Boolean).join(": ") || `HTTP ${xhr.status}`,
      }));
    };
    xhr.onerror = () => reject(new ApiError(0, { title: "The upload failed", detail: "The storage could not be reached." }));
    xhr.send(form);
  });
}
