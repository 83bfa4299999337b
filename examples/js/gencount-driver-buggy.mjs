// A config-gencount driver with a real ordering bug: writeConfig publishes (sets the flag and
// rings the doorbell) BEFORE it fills the fields, so the device can take a half-written config.
// `virtio-verify validate` finds it: driver-write-intact is violated.

export function readConfig(port) {
  const n = port.params.configBytes / 4;
  for (;;) {
    const before = port.load('config.gen');
    if (before & 1) { port.pause(); continue; }
    port.rmb();
    const words = [];
    for (let i = 0; i < n; i++) words.push(port.load(`config.data[${i}]`));
    port.rmb();
    if (port.load('config.gen') === before) return words;
  }
}

export function writeConfig(port, words) {
  while (port.load('config.drv_changed') !== 0) port.pause();
  port.store('config.drv_changed', 1);   // BUG: published before the fields are written
  port.notify('config-doorbell');
  words.forEach((w, j) => port.store(`config.drv[${j}]`, w));
  port.wmb();
}

export function handleConfigChange(port, read) {
  port.store('config.dev_changed', 0);
  port.mb();
  read();
}
