import { api, drawPeaks } from './api.js'

for (const canvas of document.querySelectorAll('canvas.mini-wave')) {
  canvas.width = canvas.clientWidth * (window.devicePixelRatio || 1)
  canvas.height = canvas.clientHeight * (window.devicePixelRatio || 1)
  api('GET', canvas.dataset.peaks).then((doc) => drawPeaks(canvas, doc, '#8a6a2c', true)).catch(() => {})
}
