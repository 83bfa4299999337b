// A config-gencount driver written against virtio-verify's synchronous port (docs/third-party.md).
// Validate it with:
//   npx virtio-verify validate --impl examples/js/gencount-driver-good.mjs --role driver --scheme config-gencount

/** Reads the device config consistently: retry while the generation is odd or changed. */
export function readConfig(port) {
  const n = port.params.configBytes / 4;
  for (;;) {
    const before = port.load('config.gen');
    if (before & 1) { port.pause(); continue; } // the device is updating
    port.rmb();
    const words = [];
    for (let i = 0; i < n; i++) words.push(port.load(`config.data[${i}]`));
    port.rmb();
    if (port.load('config.gen') === before) return words;
  }
}

/** Writes the driver's fields: wait until the device took the last write, fill, then publish. */
export function writeConfig(port, words) {
  while (port.load('config.drv_changed') !== 0) port.pause();
  words.forEach((w, j) => port.store(`config.drv[${j}]`, w));
  port.wmb();
  port.store('config.drv_changed', 1);
  port.notify('config-doorbell');
}

/** On config-irq: clear the status bit first, then re-read (a change during the read raises it again). */
export function handleConfigChange(port, read) {
  port.store('config.dev_changed', 0);
  port.mb();
  read();
}
