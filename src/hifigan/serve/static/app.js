// The hifigan page: asks POST /v1/audio/speech for a WAV and its word timings, plays it, highlights each
// word as it is spoken, offers it for download and
// draws its spectrogram (computed here from the samples). Talks to this server only.
"use strict";

const $ = (id) => document.getElementById(id);
const SPEC = { nfft: 512, minHop: 128, maxFrames: 4000, rangeDb: 80 };
let objectUrl = null;

function setStatus(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("key").value.trim();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

async function errorText(response) {
  try {
    const body = await response.json();
    return (body.error && body.error.message) || response.statusText;
  } catch (e) {
    return response.status + " " + response.statusText;
  }
}

async function loadVoices() {
  const health = await (await fetch("/health")).json();
  $("text").maxLength = health.max_chars;
  updateCount();
  if (health.auth && !$("key").value) $("key-box").open = true;
  const response = await fetch("/v1/voices", { headers: headers() });
  if (!response.ok) {
    setStatus(response.status === 401 ? "This server needs an API key: enter it below, then press Speak."
                                      : "Could not list the voices: " + await errorText(response), true);
    return;
  }
  const info = await response.json();
  const select = $("voice");
  select.replaceChildren(...info.voices.map((v) => new Option(v.name, v.name, v.default, v.default)));
}

function updateCount() {
  const max = $("text").maxLength;
  $("count").textContent = $("text").value.length + (max > 0 ? " of " + max : "") + " characters";
}

// ---------------------------------------------------------------- WAV and spectrogram

function wavSamples(buffer) {
  // The server's WAV: 44-byte header, mono 16-bit PCM; its sizes say 'unknown' while streaming.
  const view = new DataView(buffer);
  const sampleRate = view.getUint32(24, true);
  const n = Math.floor((buffer.byteLength - 44) / 2);
  view.setUint32(4, 36 + 2 * n, true);  // the real sizes, for the downloaded file
  view.setUint32(40, 2 * n, true);
  const samples = new Float32Array(n);
  for (let i = 0; i < n; i++) samples[i] = view.getInt16(44 + 2 * i, true) / 32768;
  return { samples, sampleRate };
}

function fft(re, im) {  // in place, radix 2, length a power of two
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) { [re[i], re[j]] = [re[j], re[i]]; [im[i], im[j]] = [im[j], im[i]]; }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = -2 * Math.PI / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k), wi = Math.sin(ang * k);
        const a = i + k, b = a + len / 2;
        const tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr; im[b] = im[a] - ti;
        re[a] += tr; im[a] += ti;
      }
    }
  }
}

function spectrogram(samples) {
  // Power in dB, frames of nfft samples (periodic Hann window), no padding.
  const nfft = SPEC.nfft, bins = nfft / 2 + 1;
  const hop = Math.max(SPEC.minHop, Math.ceil((samples.length - nfft) / (SPEC.maxFrames - 1)));
  const frames = samples.length < nfft ? 0 : Math.floor((samples.length - nfft) / hop) + 1;
  const window = new Float32Array(nfft).map((_, i) => 0.5 - 0.5 * Math.cos(2 * Math.PI * i / nfft));
  const db = new Float32Array(frames * bins);
  const re = new Float64Array(nfft), im = new Float64Array(nfft);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < nfft; i++) { re[i] = samples[f * hop + i] * window[i]; im[i] = 0; }
    fft(re, im);
    for (let k = 0; k < bins; k++) db[f * bins + k] = 10 * Math.log10(re[k] * re[k] + im[k] * im[k] + 1e-10);
  }
  return { frames, bins, hop, nfft, db };
}

const COLORS = [[0, 0, 4], [59, 15, 112], [140, 41, 129], [222, 73, 104], [254, 159, 109], [252, 253, 191]];

function color(t) {  // 0..1 -> a magma-like ramp
  const x = Math.min(Math.max(t, 0), 1) * (COLORS.length - 1), i = Math.min(Math.floor(x), COLORS.length - 2);
  const a = COLORS[i], b = COLORS[i + 1], u = x - i;
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * u));
}

function draw(spec) {
  const canvas = $("spectrogram"), ctx = canvas.getContext("2d");
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (!spec.frames) return;
  let top = -Infinity;
  for (const v of spec.db) top = Math.max(top, v);
  const image = new ImageData(spec.frames, spec.bins);
  for (let f = 0; f < spec.frames; f++) {
    for (let k = 0; k < spec.bins; k++) {
      const [r, g, b] = color(1 + (spec.db[f * spec.bins + k] - top) / SPEC.rangeDb);
      const p = 4 * ((spec.bins - 1 - k) * spec.frames + f);  // low frequencies at the bottom
      image.data[p] = r; image.data[p + 1] = g; image.data[p + 2] = b; image.data[p + 3] = 255;
    }
  }
  const tmp = document.createElement("canvas");
  tmp.width = spec.frames; tmp.height = spec.bins;
  tmp.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
}

// ---------------------------------------------------------------- words as they are spoken

let regions = [];  // [{start, end, node}]: the input's characters that each spoken word came from

function showWords(text, words) {
  // The typed text, with each stretch that a word was read from in a span of its own ("$5.50" is one
  // stretch for "five dollars fifty cents"); built with text nodes only, never HTML.
  const byChars = new Map();
  for (const w of words) {
    const k = w.start_char + ":" + w.end_char;
    const r = byChars.get(k) || { a: w.start_char, b: w.end_char, start: w.start, end: w.end };
    r.start = Math.min(r.start, w.start); r.end = Math.max(r.end, w.end);
    byChars.set(k, r);
  }
  const sorted = [...byChars.values()].sort((x, y) => x.a - y.a);
  const box = $("words");
  box.replaceChildren();
  regions = [];
  let at = 0;
  for (const r of sorted) {
    if (r.a < at) continue;  // overlapping stretches: keep the first
    if (r.a > at) box.append(document.createTextNode(text.slice(at, r.a)));
    const span = document.createElement("span");
    span.textContent = text.slice(r.a, r.b);
    span.dataset.start = r.start.toFixed(3);
    span.dataset.end = r.end.toFixed(3);
    box.append(span);
    regions.push({ start: r.start, end: r.end, node: span });
    at = r.b;
  }
  if (at < text.length) box.append(document.createTextNode(text.slice(at)));
}

function highlight() {
  const t = $("audio").currentTime;
  for (const r of regions) r.node.classList.toggle("current", r.start <= t && t < r.end);
}

function follow() {  // smoother than timeupdate alone (which fires about 4 times a second)
  highlight();
  if (!$("audio").paused) requestAnimationFrame(follow);
}

// ---------------------------------------------------------------- speaking

async function speak(event) {
  event.preventDefault();
  const text = $("text").value;
  if (!text.trim()) { setStatus("Type some text first.", true); $("text").focus(); return; }
  $("speak").disabled = true;
  setStatus("Speaking…", false);
  const started = performance.now();
  try {
    const response = await fetch("/v1/audio/speech", {
      method: "POST", headers: headers(),
      body: JSON.stringify({ model: "hifigan", input: text, voice: $("voice").value || null,
                             speed: Number($("pace").value), pitch_shift_hz: Number($("pitch").value),
                             response_format: "wav", timestamps: true }),
    });
    if (!response.ok) { setStatus(await errorText(response), true); return; }
    const body = await response.json();
    const buffer = Uint8Array.from(atob(body.audio), (c) => c.charCodeAt(0)).buffer;
    showWords(text, body.words);
    const { samples, sampleRate } = wavSamples(buffer);
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = URL.createObjectURL(new Blob([buffer], { type: "audio/wav" }));
    $("audio").src = objectUrl;
    $("download").href = objectUrl;
    $("result").hidden = false;
    const spec = spectrogram(samples);
    draw(spec);
    const seconds = samples.length / sampleRate;
    $("nyquist").textContent = (sampleRate / 2000).toFixed(sampleRate % 2000 ? 2 : 0) + " kHz";
    $("spectrogram").setAttribute("aria-label", `Spectrogram of ${seconds.toFixed(1)} seconds of speech`);
    window.hifiganLast = { samples: samples.length, sampleRate, spectrogram: spec };
    setStatus(`${seconds.toFixed(2)} s of audio (${sampleRate} Hz) in ${((performance.now() - started) / 1000).toFixed(2)} s.`, false);
  } catch (e) {
    setStatus("The request failed: " + e.message, true);
  } finally {
    $("speak").disabled = false;
  }
}

function init() {
  $("form").addEventListener("submit", speak);
  $("text").addEventListener("input", updateCount);
  $("pace").addEventListener("input", () => { $("pace-out").value = Number($("pace").value).toFixed(2) + "×"; });
  $("pitch").addEventListener("input", () => { $("pitch-out").value = $("pitch").value + " Hz"; });
  $("key").addEventListener("change", loadVoices);
  $("audio").addEventListener("timeupdate", highlight);
  $("audio").addEventListener("seeked", highlight);
  $("audio").addEventListener("play", () => requestAnimationFrame(follow));
  loadVoices().catch((e) => setStatus("Could not reach the server: " + e.message, true));
}

init();
