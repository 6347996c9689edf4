// The JSON API as the pages use it: same-origin fetch, the session cookie, the CSRF header.
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || ''

export async function api(method, url, body) {
  const init = { method, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } }
  if (body instanceof FormData) init.body = body
  else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  const res = await fetch(url, init)
  const data = res.headers.get('content-type')?.includes('json') ? await res.json() : null
  if (!res.ok) throw new Error((data && data.error) || `${res.status} ${res.statusText}`)
  return data
}

export function clock(s, tenths = true) {
  if (!isFinite(s) || s < 0) s = 0
  const m = Math.floor(s / 60)
  const rest = s - m * 60
  return tenths ? `${m}:${rest.toFixed(1).padStart(4, '0')}` : `${m}:${String(Math.floor(rest)).padStart(2, '0')}`
}

// Draw peaks (one row per channel, 0..1) into a canvas: top half channel 0, bottom channel 1.
export function drawPeaks(canvas, doc, color = '#f5a524', normalize = false) {
  const ctx = canvas.getContext('2d')
  const { width, height } = canvas
  ctx.clearRect(0, 0, width, height)
  const top = doc.peaks[0] || []
  const bottom = doc.peaks[1] || top
  const n = top.length
  if (!n) return
  const mid = height / 2
  let scale = 1
  if (normalize) {
    let peak = 0
    for (let i = 0; i < n; i++) peak = Math.max(peak, top[i], bottom[i])
    scale = peak > 0 ? 0.95 / peak : 1
  }
  ctx.fillStyle = color
  const bar = 2, gap = 1
  for (let x = 0; x < width; x += bar + gap) {
    const i0 = Math.floor((x / width) * n), i1 = Math.max(i0 + 1, Math.floor(((x + bar) / width) * n))
    let a = 0, b = 0
    for (let i = i0; i < i1 && i < n; i++) { a = Math.max(a, top[i]); b = Math.max(b, bottom[i]) }
    a *= scale; b *= scale
    ctx.fillRect(x, mid - Math.max(1, a * mid), bar, Math.max(1, a * mid) + Math.max(1, b * mid))
  }
}
