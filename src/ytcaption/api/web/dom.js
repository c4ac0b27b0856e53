// Small DOM helpers the page's modules share.

/** An element with attributes ("on…" ones are listeners; false/null/undefined are left out) and children. */
export function el(tag, attrs = {}, ...children) {
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
