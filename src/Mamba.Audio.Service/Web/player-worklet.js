// Plays the stream's samples from a ring filled by the page (port messages of Float32Array blocks).
// The audio thread never allocates here: the ring is made once; an empty ring gives silence, counted.
class StreamPlayer extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ring = new Float32Array(sampleRate * 4);
    this.read = 0;
    this.written = 0;
    this.played = 0;
    this.underrunFrames = 0;
    this.underruns = 0;
    this.started = false;
    this.prebuffer = Math.round(sampleRate * 0.2);
    this.lastReport = 0;
    this.ended = false;
    this.port.onmessage = (e) => {
      if (e.data === 'end') { this.ended = true; this.started = true; return; }
      const block = e.data;
      for (let i = 0; i < block.length; i++) this.ring[(this.written + i) % this.ring.length] = block[i];
      this.written += block.length;
    };
  }

  process(inputs, outputs) {
    const out = outputs[0][0];
    const available = this.written - this.read;
    if (!this.started && available >= this.prebuffer) this.started = true;
    if (this.started) {
      const n = Math.min(out.length, available);
      for (let i = 0; i < n; i++) out[i] = this.ring[(this.read + i) % this.ring.length];
      for (let i = n; i < out.length; i++) out[i] = 0;
      this.read += n;
      this.played += n;
      if (n < out.length && !this.ended) { this.underrunFrames += out.length - n; this.underruns++; this.started = false; }
    }
    if (currentFrame - this.lastReport >= sampleRate / 10) {
      this.lastReport = currentFrame;
      this.port.postMessage({ played: this.played, buffered: this.written - this.read, underruns: this.underruns, underrunFrames: this.underrunFrames });
    }
    return true;
  }
}
registerProcessor('stream-player', StreamPlayer);
