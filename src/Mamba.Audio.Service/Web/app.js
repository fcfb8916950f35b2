import { encode, decode } from './msgpack.js';

// The page's own state, also read by the browser test (window.mambaPage).
const page = window.mambaPage = { state: 'idle', blocks: 0, played: 0, underruns: 0, buffered: 0, error: null, stats: null, started: null };
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
if (params.get('token')) $('token').value = params.get('token');

let socket = null, context = null, player = null, startedAt = 0, rate = 16000;
const recent = new Float32Array(4096);   // the last samples, drawn as the waveform
let recentAt = 0;

function status(text, error = false) {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
}

async function loadModels() {
  try {
    const models = await (await fetch('models')).json();
    $('model').innerHTML = models.map((m) => `<option value="${m.name}">${m.name} (${m.sample_rate} Hz, ${m.d_model} x ${m.n_layer})</option>`).join('');
    page.models = models;
  } catch (e) { status('cannot list models: ' + e, true); }
}

async function start() {
  const model = (page.models || []).find((m) => m.name === $('model').value);
  rate = model ? model.sample_rate : 16000;
  context = new AudioContext({ sampleRate: rate });
  await context.audioWorklet.addModule('player-worklet.js');
  player = new AudioWorkletNode(context, 'stream-player', { outputChannelCount: [1] });
  player.connect(context.destination);
  player.port.onmessage = (e) => {
    Object.assign(page, { played: e.data.played, underruns: e.data.underruns, buffered: e.data.buffered });
    $('s-played').textContent = (e.data.played / context.sampleRate).toFixed(1) + ' s';
    $('s-buffer').textContent = Math.round(1000 * e.data.buffered / context.sampleRate) + ' ms';
    $('s-underruns').textContent = e.data.underruns;
  };
  await context.resume();

  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = $('token').value;
  socket = new WebSocket(`${scheme}//${location.host}/ws${token ? '?token=' + encodeURIComponent(token) : ''}`);
  socket.binaryType = 'arraybuffer';
  page.state = 'connecting';
  status('connecting');
  socket.onopen = () => {
    const number = (id) => $(id).value === '' ? undefined : Number($(id).value);
    startedAt = performance.now();
    socket.send(encode({
      type: 'start', version: 1, model: $('model').value || undefined, temperature: number('temperature'), top_p: number('top_p'),
      seed: number('seed'), sample_rate: context.sampleRate, block: 1024, encoding: 'pcm16', seconds: number('seconds'),
    }));
  };
  socket.onmessage = (e) => onMessage(decode(e.data));
  socket.onclose = (e) => {
    if (page.state !== 'error') { page.state = 'closed'; status(`closed (${e.code}${e.reason ? ': ' + e.reason : ''})`); }
    player?.port.postMessage('end');
    buttons(false);
  };
  socket.onerror = () => { if (page.state === 'connecting') { page.state = 'error'; page.error = 'connection refused (token or origin?)'; status(page.error, true); } };
  buttons(true);
}

function onMessage(m) {
  switch (m.type) {
    case 'started':
      page.state = 'playing'; page.started = m;
      $('s-stream').textContent = `${m.stream}: ${m.model}, seed ${m.seed}, ${m.sample_rate} Hz, lead ${m.lead_ms} ms`;
      status('playing');
      break;
    case 'audio': {
      if (page.blocks === 0) $('s-first').textContent = Math.round(performance.now() - startedAt) + ' ms';
      const pcm = new Int16Array(m.data.buffer, m.data.byteOffset, m.data.byteLength >> 1);
      const block = new Float32Array(pcm.length);
      for (let i = 0; i < pcm.length; i++) block[i] = pcm[i] / 32768;
      player.port.postMessage(block, [block.buffer]);
      for (let i = 0; i < pcm.length; i++) recent[(recentAt + i) % recent.length] = pcm[i] / 32768;
      recentAt = (recentAt + pcm.length) % recent.length;
      page.blocks++;
      $('s-blocks').textContent = page.blocks;
      break;
    }
    case 'stats':
      page.stats = m;
      $('s-lead').textContent = Math.round(m.lead_ms) + ' ms';
      $('s-late').textContent = m.late_blocks;
      $('s-rtf').textContent = m.rtf.toFixed(2) + 'x real time' + (m.prompt_left ? `, priming (${m.prompt_left} left)` : '');
      $('s-batch').textContent = m.batch_streams;
      break;
    case 'stopped':
      page.state = 'stopped'; status(`stopped (${m.reason}) after ${m.blocks} blocks`);
      break;
    case 'error':
      page.state = 'error'; page.error = `${m.code}: ${m.message}`; status(page.error, true);
      break;
  }
}

function buttons(running) {
  $('start').disabled = running; $('pause').disabled = !running; $('stop').disabled = !running;
}

function draw() {
  const canvas = $('wave'), g = canvas.getContext('2d');
  g.fillStyle = '#101418'; g.fillRect(0, 0, canvas.width, canvas.height);
  g.strokeStyle = '#5fd0a0'; g.beginPath();
  for (let x = 0; x < canvas.width; x++) {
    const v = recent[(recentAt + Math.floor(x * recent.length / canvas.width)) % recent.length];
    const y = canvas.height / 2 - v * canvas.height / 2;
    if (x === 0) g.moveTo(x, y); else g.lineTo(x, y);
  }
  g.stroke();
  requestAnimationFrame(draw);
}

$('start').onclick = () => start().catch((e) => { page.state = 'error'; page.error = String(e); status(page.error, true); });
$('stop').onclick = () => socket?.send(encode({ type: 'stop' }));
$('pause').onclick = () => {
  const pausing = $('pause').textContent === 'Pause';
  socket?.send(encode({ type: pausing ? 'pause' : 'resume' }));
  $('pause').textContent = pausing ? 'Resume' : 'Pause';
};
loadModels();
requestAnimationFrame(draw);
