// Who spoke: speaker labels on a transcript, their colours, the names users give them, and a filter.
// A label ("Speaker 2") keeps its colour whatever it is named: the colour follows the label, not the name.

export const PALETTE_SIZE = 8;

/** The colour slot of a label: "Speaker N" takes slot N-1; another label a slot from its characters. */
export function colourOf(label) {
  const numbered = /^Speaker (\d+)$/.exec(label || "");
  if (numbered) return (Number(numbered[1]) - 1) % PALETTE_SIZE;
  let hash = 0;
  for (const char of String(label)) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return hash % PALETTE_SIZE;
}

/** The palette round of a label: "Speaker 9" is in round 1, where Speaker 1's colour comes again; a
 *  round past the first draws the chip outlined (1) or dashed (2), so the two still look apart. */
export function roundOf(label) {
  const numbered = /^Speaker (\d+)$/.exec(label || "");
  return numbered ? Math.min(2, Math.floor((Number(numbered[1]) - 1) / PALETTE_SIZE)) : 0;
}

/** The classes that draw a label: its colour and its round. */
export function speakerClass(label) {
  return `spk-c${colourOf(label)} spk-r${roundOf(label)}`;
}

/** The labels in order of first appearance. */
export function labelsOf(segments) {
  const seen = [];
  for (const segment of segments) {
    if (segment.speaker && !seen.includes(segment.speaker)) seen.push(segment.speaker);
  }
  return seen;
}

/** What a label is shown as: its name when it has one. */
export function nameOf(label, names) {
  return (names && names[label]) || label;
}

/** The names that changed in the form: {label: name}, "" giving a label its own name back. */
export function changedNames(inputs, names) {
  const changed = {};
  for (const input of inputs) {
    const label = input.dataset.label;
    const name = input.value.trim().replace(/\s+/g, " ");
    const before = (names && names[label]) || "";
    if (name === label ? before !== "" : name !== before) changed[label] = name === label ? "" : name;
  }
  return changed;
}
