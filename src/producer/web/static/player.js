// The player: versions, waveform (server peaks), comments as markers and regions, threads,
// resolve/reopen, loudness-matched A/B at the same position, approvals, uploads.
import WaveSurfer from './vendor/wavesurfer/wavesurfer.esm.js'
import RegionsPlugin from './vendor/wavesurfer/regions.esm.js'
import TimelinePlugin from './vendor/wavesurfer/timeline.esm.js'
import { api, clock } from './api.js'

const data = JSON.parse(document.getElementById('studio-data').textContent)
const $ = (id) => document.getElementById(id)
const can = (right) => data.rights.includes(right)
const state = {
  versions: [], uploads: [], current: null, compare: null, active: 'A',
  comments: [], range: null, focus: null,
}

// ---------------------------------------------------------------- audio graph
// One <audio> element per source; Web Audio gains match their loudness (the louder is
// turned down to the quieter's integrated LUFS), so nobody prefers a mix for being louder.
const ctx = new (window.AudioContext || window.webkitAudioContext)()
const media = { A: new Audio(), B: new Audio() }
const gains = {}
for (const k of ['A', 'B']) {
  media[k].preload = 'metadata'
  const src = ctx.createMediaElementSource(media[k])
  gains[k] = ctx.createGain()
  src.connect(gains[k]).connect(ctx.destination)
}
window.studioPlayer = { media, gains, state }  // for tests and the curious

const regions = RegionsPlugin.create()
const ws = WaveSurfer.create({
  container: '#waveform', height: 150, waveColor: '#6c5a35', progressColor: '#f5a524',
  cursorColor: '#ffe2a8', cursorWidth: 2, barWidth: 2, barGap: 1, barRadius: 1,
  media: media.A, dragToSeek: false, normalize: true,
  plugins: [regions, TimelinePlugin.create({ height: 16, style: { color: '#8b93a3', fontSize: '11px' } })],
})

function sourceOf(kind, item) {
  return kind === 'version'
    ? { key: `v${item.id}`, label: `v${item.number}`, url: item.audio_url, peaks: item.peaks_url, lufs: item.integrated_lufs }
    : { key: `u${item.id}`, label: `ref: ${item.name}`, url: item.audio_url, peaks: item.peaks_url, lufs: item.integrated_lufs }
}

function matchGains() {
  const a = state.current, b = state.compare
  gains.A.gain.value = 1; gains.B.gain.value = 1
  $('match').textContent = ''
  if (!a || !b) return
  const target = Math.min(a.lufs, b.lufs)
  const ga = target - a.lufs, gb = target - b.lufs
  gains.A.gain.value = Math.pow(10, ga / 20)
  gains.B.gain.value = Math.pow(10, gb / 20)
  $('match').textContent = `matched: A ${ga.toFixed(1)} dB · B ${gb.toFixed(1)} dB`
}

function activeMedia() { return media[state.active] }
function now() { return activeMedia().currentTime || 0 }

// ---------------------------------------------------------------- versions
async function loadVersions() {
  state.versions = await api('GET', `/api/songs/${data.slug}/versions`)
  state.uploads = await api('GET', `/api/songs/${data.slug}/uploads`).catch(() => [])
  const nav = $('versions')
  nav.querySelectorAll('.vtab').forEach((b) => b.remove())
  const publish = $('publish')
  for (const v of state.versions) {
    const b = document.createElement('button')
    b.className = 'vtab'; b.dataset.id = v.id; b.textContent = `v${v.number}`
    b.title = `${v.created_at} · ${v.note || ''}`
    b.addEventListener('click', () => selectVersion(v.id))
    nav.insertBefore(b, publish || null)
  }
  const sel = $('compare')
  sel.innerHTML = ''
  sel.append(new Option('—', ''))
  for (const v of state.versions) sel.append(new Option(`v${v.number} (${v.integrated_lufs.toFixed(1)} LUFS)`, `v${v.id}`))
  for (const u of state.uploads.filter((u) => u.kind === 'reference')) sel.append(new Option(`ref: ${u.name} (${u.integrated_lufs.toFixed(1)} LUFS)`, `u${u.id}`))
}

async function selectVersion(id, keepTime = false) {
  const v = state.versions.find((x) => x.id === id)
  if (!v) return
  const at = keepTime ? now() : 0
  pause()
  state.active = 'A'
  setAB()
  state.version = v
  state.current = sourceOf('version', v)
  document.querySelectorAll('.vtab').forEach((b) => b.classList.toggle('active', Number(b.dataset.id) === id))
  history.replaceState(null, '', `#v${v.number}`)
  const peaks = await api('GET', v.peaks_url)
  await ws.load(v.audio_url, peaks.peaks, peaks.duration_s)
  if (at) ws.setTime(at)
  $('duration').textContent = clock(v.duration_s)
  // By default compare with the previous version.
  const prev = state.versions.filter((x) => x.number < v.number).pop()
  $('compare').value = prev ? `v${prev.id}` : ''
  await setCompare($('compare').value)
  renderFigures(); renderApproval(); renderHistory()
  await loadComments()
}

async function setCompare(key) {
  state.compare = null
  media.B.removeAttribute('src')
  if (key) {
    const item = key[0] === 'v' ? state.versions.find((x) => `v${x.id}` === key) : state.uploads.find((x) => `u${x.id}` === key)
    if (item) {
      state.compare = sourceOf(key[0] === 'v' ? 'version' : 'upload', item)
      media.B.src = state.compare.url
    }
  }
  $('ab').disabled = !state.compare
  matchGains()
}

function setAB() {
  const t = $('ab')
  t.querySelector('.a').classList.toggle('on', state.active === 'A')
  t.querySelector('.b').classList.toggle('on', state.active === 'B')
}

// A/B: the other source continues from the same position.
async function toggleAB() {
  if (!state.compare) return
  const from = activeMedia(), playing = !from.paused, at = from.currentTime
  state.active = state.active === 'A' ? 'B' : 'A'
  const to = activeMedia()
  from.pause()
  to.currentTime = at
  state.switchedAt = at
  if (state.active === 'A') ws.setTime(at)
  setAB()
  if (playing) await to.play()
  tick()
}

// ---------------------------------------------------------------- transport
function pause() { media.A.pause(); media.B.pause(); $('play').classList.remove('playing'); $('play').textContent = '▶' }
async function play() {
  if (ctx.state !== 'running') await ctx.resume()
  await activeMedia().play()
  $('play').classList.add('playing'); $('play').textContent = '❚❚'
}
$('play').addEventListener('click', () => (activeMedia().paused ? play() : pause()))
document.addEventListener('keydown', (e) => {
  if (e.target.closest('textarea, input, select')) return
  if (e.code === 'Space') { e.preventDefault(); $('play').click() }
})

function tick() {
  const t = now()
  $('time').textContent = clock(t)
  if (!state.range) $('at').textContent = clock(t)
  if (state.active === 'B' && !media.B.paused) {
    // Keep the waveform's cursor with B (A stays paused at the same place).
    media.A.currentTime = t
  }
}
for (const k of ['A', 'B']) {
  media[k].addEventListener('timeupdate', tick)
  media[k].addEventListener('ended', pause)
}
setInterval(() => { if (!activeMedia().paused) tick() }, 100)

ws.on('interaction', (t) => {
  // A click on the waveform moves the playhead: the comment goes there.
  state.range = null
  if (state.active === 'B') media.B.currentTime = t
  $('at').textContent = clock(t)
  $('range-hint').textContent = '· drag on the waveform for a range'
  tick()
})

regions.enableDragSelection({ color: 'rgba(90, 169, 255, 0.18)' })
regions.on('region-created', (r) => {
  if (r.id.startsWith('c')) return
  regions.getRegions().filter((x) => x !== r && !x.id.startsWith('c')).forEach((x) => x.remove())
  state.range = r
  $('at').textContent = `${clock(r.start)}–${clock(r.end)}`
  $('range-hint').textContent = '· a range'
})

// ---------------------------------------------------------------- comments
async function loadComments() {
  if (!state.version) return
  state.comments = await api('GET', `/api/versions/${state.version.id}/comments`)
  renderComments()
}

function renderRegions() {
  regions.getRegions().filter((r) => r.id.startsWith('c')).forEach((r) => r.remove())
  for (const c of state.comments.filter((c) => !c.parent_id && !c.resolved)) {
    const color = c.origin ? 'rgba(177, 140, 255, 0.85)' : 'rgba(255, 207, 112, 0.95)'
    const r = regions.addRegion({
      id: `c${c.id}`, start: c.start_s, end: c.end_s ?? undefined, drag: false, resize: false,
      color: c.end_s != null ? 'rgba(245, 165, 36, 0.16)' : color,
      content: c.end_s != null ? undefined : '●',
    })
    r.on('click', (e) => { e.stopPropagation(); focusComment(c.id) })
  }
}

function focusComment(id) {
  state.focus = id
  const c = state.comments.find((x) => x.id === id)
  if (c) { ws.setTime(c.start_s); if (state.active === 'B') media.B.currentTime = c.start_s; tick() }
  document.querySelectorAll('.comment').forEach((el) => el.classList.toggle('focus', Number(el.dataset.id) === id))
  document.querySelector(`.comment[data-id="${id}"]`)?.scrollIntoView({ block: 'nearest' })
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v)
    else e.setAttribute(k, v)
  }
  for (const c of children) if (c != null) e.append(c)
  return e
}

function commentItem(c, replies) {
  const when = c.end_s != null ? `${clock(c.start_s, false)}–${clock(c.end_s, false)}` : clock(c.start_s, false)
  const li = el('li', { class: `comment${c.resolved ? ' resolved' : ''}`, 'data-id': c.id },
    el('header', {},
      el('button', { class: 'stamp', title: 'Play from here', onclick: () => focusComment(c.id) }, when),
      el('b', {}, c.author_name || c.author), el('span', { class: 'chip' }, c.author_role),
      c.resolved ? el('span', { class: 'chip approved' }, 'resolved') : null),
    c.origin ? el('div', { class: 'origin' }, `carried from v${c.origin.version_number}`) : null,
    el('p', {}, c.body))
  const ul = el('ol', { class: 'replies' })
  for (const r of replies) ul.append(el('li', { class: 'comment reply', 'data-id': r.id },
    el('header', {}, el('b', {}, r.author_name || r.author), el('span', { class: 'chip' }, r.author_role)), el('p', {}, r.body)))
  if (replies.length) li.append(ul)
  if (can('comment')) {
    const actions = el('div', { class: 'actions' })
    const box = el('div', { class: 'reply-box', hidden: '' })
    const ta = el('textarea', { rows: 2, placeholder: 'Reply…' })
    box.append(ta, el('div', { class: 'row' }, el('span', { class: 'spacer' }), el('button', { class: 'primary small send-reply', onclick: async () => {
      if (!ta.value.trim()) return
      await api('POST', `/api/versions/${state.version.id}/comments`, { start_s: c.start_s, body: ta.value, parent_id: c.id })
      await loadComments()
    } }, 'Reply')))
    actions.append(el('button', { class: 'ghost reply', onclick: () => { box.hidden = !box.hidden; ta.focus() } }, 'Reply'))
    actions.append(el('button', { class: 'ghost resolve', onclick: async () => {
      await api('PATCH', `/api/comments/${c.id}`, { resolved: !c.resolved })
      await loadComments()
    } }, c.resolved ? 'Reopen' : 'Resolve'))
    li.append(actions, box)
  }
  return li
}

function renderComments() {
  const list = $('comments')
  list.innerHTML = ''
  const roots = state.comments.filter((c) => !c.parent_id).sort((a, b) => (a.resolved - b.resolved) || (a.start_s - b.start_s))
  for (const c of roots) list.append(commentItem(c, state.comments.filter((r) => r.parent_id === c.id)))
  const open = roots.filter((c) => !c.resolved).length
  $('count').textContent = `${open} open · ${roots.length - open} resolved`
  renderRegions()
}

$('post').addEventListener('click', async () => {
  const body = $('comment-body').value.trim()
  if (!body || !state.version) return
  const payload = state.range ? { start_s: state.range.start, end_s: state.range.end, body } : { start_s: now(), body }
  await api('POST', `/api/versions/${state.version.id}/comments`, payload)
  $('comment-body').value = ''
  if (state.range) { state.range.remove(); state.range = null }
  await loadComments()
})
if (!can('comment')) $('composer').hidden = true

// ---------------------------------------------------------------- figures and approval
function renderFigures() {
  const v = state.version
  $('figures').innerHTML = ''
  const fig = (label, value, cls = '') => $('figures').append(el('div', { class: `fig ${cls}` }, el('b', {}, value), el('span', {}, label)))
  fig('Integrated', `${v.integrated_lufs.toFixed(1)} LUFS`)
  fig('Range', `${v.loudness_range_lu.toFixed(1)} LU`)
  fig('True peak', `${v.true_peak_dbtp.toFixed(1)} dBTP`)
  fig('Length', clock(v.duration_s, false))
  fig('Render id', v.render_id.slice(0, 12), 'rid')
  // The extra ear's report of this render (made on the first visit, then kept)
  $('figures').append(el('a', { class: 'fig analysis', href: `/versions/${v.id}/analysis`, target: '_blank', rel: 'noopener' },
    el('b', {}, 'Analysis'), el('span', {}, 'what the ear hears')))
}

function renderApproval() {
  const v = state.version, box = $('approval')
  const roles = new Set(v.approvals.map((a) => a.role))
  const required = data.required.length ? data.required : [...roles]
  box.innerHTML = ''
  box.append(el('h3', {}, `Approval · v${v.number}`))
  const list = el('div', { class: 'who-list' })
  for (const r of required) list.append(el('span', { class: `chip ${roles.has(r) ? 'approved' : 'pending'}` }, `${roles.has(r) ? '✓' : '○'} ${r}`))
  box.append(list)
  for (const a of v.approvals) box.append(el('div', { class: 'muted small' }, `${a.user_name} (${a.role}) approved render ${a.render_id.slice(0, 12)}`))
  const done = required.length > 0 && required.every((r) => roles.has(r))
  box.append(el('p', { class: `verdict ${done ? 'ok' : ''}` }, done ? 'Approved for mastering' : (data.required.length ? `Waiting for ${data.required.filter((r) => !roles.has(r)).join(', ')}` : 'Waiting for approval')))
  if (can('approve')) {
    const mine = v.approvals.some((a) => a.user_name === data.me || a.user === data.me)
    box.append(el('button', { class: 'primary', id: 'approve', disabled: mine ? '' : null, onclick: async () => {
      const res = await api('POST', `/api/versions/${v.id}/approve`)
      Object.assign(v, res.version)
      renderApproval(); renderHistory()
    } }, mine ? 'You approved this version' : `Approve v${v.number}`))
    if (mine) box.querySelector('#approve').disabled = true
    else box.querySelector('#approve').removeAttribute('disabled')
  }
}

function renderHistory() {
  const box = $('history')
  box.innerHTML = ''
  box.append(el('h3', {}, 'Versions'))
  const table = el('table', { class: 'history' })
  table.append(el('tr', {}, ...['', 'Published', 'Note', 'LUFS', 'dBTP', 'Render', 'Approvals'].map((h) => el('th', {}, h))))
  for (const v of [...state.versions].reverse()) {
    const row = el('tr', { class: v.id === state.version?.id ? 'current' : '' },
      el('td', {}, el('button', { class: 'vtab small', onclick: () => selectVersion(v.id) }, `v${v.number}`)),
      el('td', { class: 'muted' }, `${v.created_at.slice(0, 10)} ${v.created_at.slice(11, 16)}`),
      el('td', {}, v.note || '—'),
      el('td', { class: 'num' }, v.integrated_lufs.toFixed(1)),
      el('td', { class: 'num' }, v.true_peak_dbtp.toFixed(1)),
      el('td', { class: 'mono' }, v.render_id.slice(0, 8)),
      el('td', {}, v.approvals.map((a) => a.role).join(', ') || '—'))
    table.append(row)
  }
  box.append(table)
}

// ---------------------------------------------------------------- publish and upload
$('publish')?.addEventListener('click', async (e) => {
  e.target.disabled = true; e.target.textContent = 'Rendering…'
  try {
    const v = await api('POST', `/api/songs/${data.slug}/versions`, { note: '' })
    await loadVersions(); await selectVersion(v.id)
  } catch (err) { alert(err.message) } finally { e.target.disabled = false; e.target.textContent = '+ Publish current mix' }
})
$('upload-form')?.addEventListener('submit', async (e) => {
  e.preventDefault()
  const f = $('upload-file').files[0]
  if (!f) return
  const form = new FormData(); form.append('kind', $('upload-kind').value); form.append('file', f)
  $('upload-status').textContent = `Uploading ${f.name}…`
  try {
    const u = await api('POST', `/api/songs/${data.slug}/uploads`, form)
    $('upload-status').textContent = `${u.name}: ${u.integrated_lufs.toFixed(1)} LUFS${u.track ? ` → track ${u.track}` : ''}`
    await loadVersions(); $('compare').value = `u${u.id}`; await setCompare(`u${u.id}`)
  } catch (err) { $('upload-status').textContent = err.message }
})
$('compare').addEventListener('change', (e) => setCompare(e.target.value))
$('ab').addEventListener('click', toggleAB)

// ---------------------------------------------------------------- start
await loadVersions()
if (state.versions.length) {
  const m = location.hash.match(/^#v(\d+)$/)
  const wanted = m && state.versions.find((v) => v.number === Number(m[1]))
  await selectVersion((wanted || state.versions[state.versions.length - 1]).id)
}
document.body.dataset.ready = '1'
